"""The Reduce* family: axes as an attribute (until opset 13 for ReduceSum,
18 for the rest) or as an optional input, keepdims, noop_with_empty_axes.
Each op file defines `reduce(x, axes, keepdims)` on a subclass of Reduce
(attribute axes) and registers the same subclass mixed with AxesInput."""
import numpy as np

from ..errors import InputError
from .base import Op
from ._elementwise import same_dtype


def lowest(dtype):
    """The identity of max: -inf for floats, the smallest value for ints."""
    if dtype == np.bool_:
        return False
    return -np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).min


def highest(dtype):
    if dtype == np.bool_:
        return True
    return np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).max


class Reduce(Op):
    def init(self):
        self.keepdims = bool(self.attr("keepdims", 1))
        self.noop = bool(self.attr("noop_with_empty_axes", 0))
        axes = self.attr("axes")
        self.axes = None if axes is None else tuple(int(a) for a in axes)

    def reduce(self, x, axes, keepdims):
        raise NotImplementedError

    def run(self, x, axes=None):
        axes = self.axes if axes is None else tuple(int(a) for a in axes.reshape(-1))
        if not axes:
            # Absent or empty: all axes, or with noop_with_empty_axes none, where
            # composite reductions still apply their elementwise steps
            # (ReduceSumSquare squares, ReduceLogSum takes the log).
            axes = () if self.noop else tuple(range(x.ndim))
        if any(not -x.ndim <= a < x.ndim for a in axes):
            raise InputError(f"node {self.node.name!r} ({self.op_type}): axes {list(axes)} of a rank-{x.ndim} input")
        # an axis named twice is reduced once, as onnxruntime does (NumPy refuses it)
        axes = tuple(sorted({a + x.ndim if a < 0 else a for a in axes}))
        return (same_dtype(self.reduce(x, axes, self.keepdims), x),)
