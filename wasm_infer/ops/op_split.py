import numpy as np

from ..errors import InputError
from .base import Op, register


def split(x, axis, sizes, count, node_name, even=False):
    """`count` pieces along axis: of `sizes` if given, else equal ones where
    the last may be smaller (opset 18's num_outputs rule); with `even` (no
    num_outputs: the outputs' count, as before opset 18), equal ones only."""
    if not -x.ndim <= axis < x.ndim:
        raise InputError(f"node {node_name!r} (Split): axis {axis} of a rank-{x.ndim} input")
    axis = axis + x.ndim if axis < 0 else axis
    n = x.shape[axis]
    if sizes is None and even and count and n % count:
        raise InputError(f"node {node_name!r} (Split): an axis of {n} does not split evenly into {count}")
    if sizes is None:
        step = -(-n // count) if count else 0
        sizes = [min(step, max(n - i * step, 0)) for i in range(count)]
    sizes = [int(s) for s in sizes]
    if sum(sizes) != n or len(sizes) != count:
        raise InputError(f"node {node_name!r} (Split): sizes {sizes} do not split an axis of {n} into {count}")
    bounds = np.cumsum(sizes)[:-1]
    return tuple(np.split(x, [int(b) for b in bounds], axis=axis))


@register("Split", since=1)
class Split1(Op):
    """split as an attribute (opset 1 also allowed it as a second input)."""
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x, sizes=None):
        sizes = self.attr("split") if sizes is None else sizes.tolist()
        return split(x, self.attr("axis", 0), sizes or None, len(self.node.outputs), self.node.name, even=True)


@register("Split", since=13)
class Split(Op):
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x, sizes=None):
        sizes = None if sizes is None else sizes.tolist()
        count = self.attr("num_outputs", len(self.node.outputs))
        return split(x, self.attr("axis", 0), sizes, count, self.node.name, even=self.attr("num_outputs") is None)
