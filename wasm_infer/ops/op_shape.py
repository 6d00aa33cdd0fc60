import numpy as np

from .base import Op, register


@register("Shape", since=1)
class Shape(Op):
    shape_only = True
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x):
        return (np.array(x.shape, dtype=np.int64),)


@register("Shape", since=15)
class Shape15(Op):
    shape_only = True
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x):
        n = len(x.shape)
        start, end = self.attr("start", 0), self.attr("end", n)
        return (np.array(x.shape[slice(start, end)], dtype=np.int64),)
