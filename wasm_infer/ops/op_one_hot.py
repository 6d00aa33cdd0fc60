import numpy as np

from ..limits import check_output
from .base import Op, register


@register("OneHot", since=9)
class OneHot(Op):
    """A new axis of size depth at `axis`: on_value where it equals the
    index (negative indices count from depth), off_value elsewhere and for
    out-of-range indices."""
    def init(self):
        self.axis = self.attr("axis", -1)

    def run(self, indices, depth, values):
        depth = int(np.asarray(depth).reshape(-1)[0])
        check_output(self, indices.shape + (max(depth, 0),), 8)   # the int64 comparison it builds
        idx = indices.astype(np.int64)  # float indices are allowed; they truncate
        idx = np.where(idx < 0, idx + depth, idx)
        rank = indices.ndim + 1
        axis = self.axis + rank if self.axis < 0 else self.axis
        shape = [1] * rank
        shape[axis] = depth
        hot = np.expand_dims(idx, axis) == np.arange(depth).reshape(shape)
        self.check_shape("values", values, (2,))      # [off, on]
        off, on = values[0], values[1]
        return (np.where(hot, on, off).astype(values.dtype),)
