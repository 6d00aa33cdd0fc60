import numpy as np

from ..errors import InputError
from .base import Op, register


def unsqueeze(op, x, axes):
    rank = x.ndim + len(axes)
    axes = sorted(a + rank if a < 0 else a for a in axes)
    if any(not 0 <= a < rank for a in axes) or len(set(axes)) != len(axes):
        # list.insert past the end would append: a wrong shape, not an error
        raise InputError(f"node {op.node.name!r} (Unsqueeze): axes {axes} must be distinct axes of the "
                         f"rank-{rank} output")
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    return x.reshape(shape)


@register("Unsqueeze", since=1)
class Unsqueeze1(Op):
    view = True
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x):
        return (unsqueeze(self, x, self.required_attr("axes")),)


@register("Unsqueeze", since=13)
class Unsqueeze(Op):
    view = True
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x, axes):
        return (unsqueeze(self, x, [int(a) for a in np.asarray(axes).reshape(-1)]),)
