from ..errors import InputError
from .base import Op, register
from ._norm import stash_dtype, standardize


def _group_norm(op, x, scale, bias, per_channel):
    n, c = x.shape[:2]
    g = int(op.required_attr("num_groups"))
    if c % g:
        raise InputError(f"node {op.node.name!r} (GroupNormalization): {c} channels do not split into {g} groups")
    stash = stash_dtype(op, x)
    xg = x.astype(stash, copy=False).reshape((n, g, -1))
    y, _, _ = standardize(xg, (2,), float(op.attr("epsilon", 1e-5)))
    if per_channel:       # opset 21: scale and bias per channel
        y = y.reshape(x.shape)
        shape = (1, c) + (1,) * (x.ndim - 2)
    else:                 # opset 18: per group
        shape = (1, g, 1)
    y = y * scale.astype(stash).reshape(shape) + bias.astype(stash).reshape(shape)
    return (y.reshape(x.shape).astype(x.dtype),)


@register("GroupNormalization", since=18)
class GroupNormalization18(Op):
    def run(self, x, scale, bias):
        return _group_norm(self, x, scale, bias, per_channel=False)


@register("GroupNormalization", since=21)
class GroupNormalization(Op):
    def run(self, x, scale, bias):
        return _group_norm(self, x, scale, bias, per_channel=True)
