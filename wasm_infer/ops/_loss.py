"""The negative log-likelihood core shared by NegativeLogLikelihoodLoss and
SoftmaxCrossEntropyLoss."""
import numpy as np

from ..errors import InputError


def nll(op, logp, target, weight=None, reduction="mean", ignore_index=None):
    """logp (N, C, d1..dk) log-probabilities, target (N, d1..dk) class ids.
    Ignored targets contribute 0 and do not count towards the mean. Shapes
    and class ids are checked, as onnxruntime does: NumPy would broadcast a
    target of another shape. A negative id counts from the last class, as in
    onnxruntime (its loss is a GatherElements)."""
    if logp.ndim < 2:
        raise InputError(f"node {op.node.name!r} ({op.op_type}): input of rank {logp.ndim}, expected [N, C, ...]")
    op.check_shape("target", target, (logp.shape[0], *logp.shape[2:]))
    dtype = logp.dtype
    c = logp.shape[1]
    if weight is not None:
        op.check_shape("weight", weight, (c,))
    target = target.astype(np.int64)
    keep = np.ones(target.shape, np.bool_) if ignore_index is None else target != ignore_index
    if ((target < -c) | (target >= c))[keep].any():
        raise InputError(f"node {op.node.name!r} ({op.op_type}): a target class id outside [{-c}, {c})")
    # An ignored target may be any value, even out of range: read a safe class.
    safe = np.where(keep, target % c, 0).astype(np.intp)
    picked = np.take_along_axis(logp, np.expand_dims(safe, 1), axis=1)[:, 0]
    w = keep.astype(dtype)
    if weight is not None:
        w = w * np.take(weight, np.clip(safe, 0, c - 1)).astype(dtype)
    loss = -picked * w
    if reduction == "none":
        return loss.astype(dtype)
    if reduction == "sum":
        return np.sum(loss).astype(dtype)
    if weight is None and ignore_index is None:
        return np.mean(loss).astype(dtype)
    return (np.sum(loss) / np.sum(w)).astype(dtype)
