import numpy as np

from .base import Op, register


@register("Flatten", since=1)
class Flatten(Op):
    view = True
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x):
        axis = self.attr("axis", 1)
        axis = axis + x.ndim if axis < 0 else axis
        outer = int(np.prod(x.shape[:axis], dtype=np.int64))
        return (x.reshape(outer, -1) if x.size else x.reshape(outer, int(np.prod(x.shape[axis:]))),)
