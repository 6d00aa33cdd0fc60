import numpy as np

from .base import Op, register


@register("SplitToSequence", since=11)
class SplitToSequence(Op):
    """No `split`: pieces of size 1 (squeezed unless keepdims); a scalar
    `split`: pieces of that size, the last one shorter; a 1-D `split`: sizes."""

    def init(self):
        self.axis = self.attr("axis", 0)
        self.keepdims = self.attr("keepdims", 1)

    def run(self, x, split=None):
        axis = self.axis + x.ndim if self.axis < 0 else self.axis
        n = x.shape[axis]
        if split is None:
            pieces = np.split(x, n, axis=axis)
            return ([np.squeeze(p, axis=axis) for p in pieces] if not self.keepdims else pieces,)
        split = np.asarray(split).astype(np.int64)
        sizes = [int(split)] * (n // int(split)) + ([n % int(split)] if n % int(split) else []) \
            if split.ndim == 0 else [int(s) for s in split]
        return (np.split(x, np.cumsum(sizes)[:-1], axis=axis),)
