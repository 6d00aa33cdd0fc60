import numpy as np

from ..limits import check_broadcast
from .base import Op, register


@register("Where", since=9)
class Where(Op):
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, condition, x, y):
        check_broadcast(self, (condition, x, y), x.dtype.itemsize)
        out = np.where(condition, x, y)
        return (out if out.dtype == x.dtype else out.astype(x.dtype),)
