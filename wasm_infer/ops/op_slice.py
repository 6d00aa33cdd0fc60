from ..errors import InputError
from .base import Op, register


def check_slice(op, x, starts, ends, axes, steps):
    """As onnxruntime: starts, ends (and axes, steps when given) of one length, axes in range
    and distinct, no step of 0; not zipped to the shortest, nor an IndexError."""
    n = len(starts)
    op.check_shape("ends", ends, (n,))
    for what, v in (("axes", axes), ("steps", steps)):
        if v is not None:
            op.check_shape(what, v, (n,))
    where = f"node {op.node.name!r} ({op.op_type})"
    if axes is not None:
        axes = [int(a) for a in axes]
        if any(not -x.ndim <= a < x.ndim for a in axes) or len({a % x.ndim for a in axes}) != n:
            raise InputError(f"{where}: axes {axes} must be distinct axes of the rank-{x.ndim} input")
    elif n > x.ndim:
        raise InputError(f"{where}: {n} starts for a rank-{x.ndim} input")
    if steps is not None and any(int(s) == 0 for s in steps):
        raise InputError(f"{where}: a step of 0")


def slice_array(x, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else [int(a) for a in axes]
    steps = [1] * len(starts) if steps is None else [int(s) for s in steps]
    index = [slice(None)] * x.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis = axis + x.ndim if axis < 0 else axis
        # ONNX clamps like Python slicing, but INT64 extremes mean "to the end".
        lo, hi, step = slice(int(start), int(end), step).indices(x.shape[axis])
        index[axis] = slice(lo, None if hi < 0 else hi, step)  # hi == -1: run to the front
    return x[tuple(index)]


@register("Slice", since=1)
class Slice1(Op):
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x):
        starts, ends, axes = self.required_attr("starts"), self.required_attr("ends"), self.attr("axes")
        check_slice(self, x, starts, ends, axes, None)
        return (slice_array(x, starts, ends, axes),)


@register("Slice", since=10)
class Slice(Op):
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x, starts, ends, axes=None, steps=None):
        check_slice(self, x, starts, ends, axes, steps)
        return (slice_array(x, starts, ends, axes, steps),)
