import numpy as np

from .base import Op, register
from ._precision import acc_dtype
from ._pool import pool_geometry, taps


@register("LpPool", since=1)
class LpPool(Op):
    """(sum |x|^p)^(1/p) over each window; padding contributes zero."""
    def run(self, x):
        kernel, strides, dilations, begin, _, out = pool_geometry(self, x)
        p = float(self.attr("p", 2))
        acc = acc_dtype(x.dtype)
        powered = np.abs(x.astype(acc, copy=False)) ** p
        total = np.zeros(x.shape[:2] + tuple(out), acc)
        for _, t in taps(powered, kernel, strides, dilations, begin, out, 0, self):
            total += t
        return ((total ** (1.0 / p)).astype(x.dtype),)
