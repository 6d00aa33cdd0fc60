"""CumSum/CumProd: axis as a scalar input; `exclusive` shifts by one so each
output omits its own element; `reverse` runs from the end."""
import numpy as np

from .base import Op
from ._elementwise import same_dtype


class Cumulative(Op):
    fn = None
    identity = 0

    def init(self):
        self.exclusive = bool(self.attr("exclusive", 0))
        self.reverse = bool(self.attr("reverse", 0))

    def run(self, x, axis):
        axis = int(np.asarray(axis).reshape(-1)[0])
        axis = axis + x.ndim if axis < 0 else axis
        y = np.flip(x, axis) if self.reverse else x
        if self.exclusive:
            pad = [(0, 0)] * x.ndim
            pad[axis] = (1, 0)
            y = np.pad(y, pad, constant_values=self.identity)
            y = np.delete(y, -1, axis=axis) if y.shape[axis] else y
        out = type(self).fn(y, axis=axis, dtype=x.dtype)
        return (same_dtype(np.flip(out, axis) if self.reverse else out, x),)
