from .base import Op, register


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
        return (slice_array(x, self.required_attr("starts"), self.required_attr("ends"), self.attr("axes")),)


@register("Slice", since=10)
class Slice(Op):
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x, starts, ends, axes=None, steps=None):
        return (slice_array(x, starts, ends, axes, steps),)
