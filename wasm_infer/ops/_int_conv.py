"""Integer convolution for ConvInteger and QLinearConv: centred int32
operands, exact int64 accumulation, one matmul per kernel position."""
import itertools

import numpy as np

from ..errors import InputError
from ..limits import deadline_check
from ._conv_shapes import check_padded, conv_geometry


def int_conv(op, x, w, group):
    """x (N, C, *S) and w (M, C/group, *K), both int32 and already centred
    (so zero padding really is the zero point). Returns int64 (N, M, *out)."""
    if x.ndim < 3 or x.ndim != w.ndim or x.shape[1] != w.shape[1] * group or w.shape[0] % group:
        raise InputError(f"node {op.node.name!r} ({op.op_type}): input {list(x.shape)} does not fit "
                         f"weights {list(w.shape)} with group {group}")
    strides, dilations, begin, end, out = conv_geometry(op, x.shape[2:], list(w.shape[2:]))
    n, m, cg = x.shape[0], w.shape[0], w.shape[1]
    check_padded(op, x.shape[:2], x.shape[2:], begin, end, (n, m), out, 8, w[0].size)     # int64
    xp = np.pad(x.astype(np.int64), [(0, 0), (0, 0)] + list(zip(begin, end)))
    xg = xp.reshape((n, group, cg) + xp.shape[2:])
    wg = w.astype(np.int64).reshape((group, m // group, cg) + w.shape[2:])
    y = np.zeros((n, group, m // group) + tuple(out), np.int64)
    tick = deadline_check(op)       # a step per kernel position
    for pos in itertools.product(*(range(k) for k in w.shape[2:])):
        tick()
        window = tuple(slice(p * d, p * d + s * (o - 1) + 1, s)
                       for p, d, s, o in zip(pos, dilations, strides, out))
        patch = xg[(slice(None),) * 3 + window]          # n, g, cg, *out
        y += np.einsum("ngc...,gmc->ngm...", patch, wg[(slice(None),) * 3 + pos])
    return y.reshape((n, m) + tuple(out))


def per_channel(value, ndim):
    """A scalar, or a 1-D per-output-channel value shaped to broadcast over
    (M, ...) weights / (N, M, ...) outputs at position `ndim - 1` from the end."""
    value = np.asarray(value)
    if value.ndim == 1 and value.size > 1:
        return value.reshape((-1,) + (1,) * (ndim - 1))
    return value.reshape(())
