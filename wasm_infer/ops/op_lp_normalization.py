import numpy as np

from .base import Op, register
from ._precision import acc_dtype


@register("LpNormalization", since=1)
class LpNormalization(Op):
    """x / ||x||_p along `axis` (p is 1 or 2); a zero norm yields 0, not NaN."""
    def run(self, x):
        axis = int(self.attr("axis", -1))
        p = int(self.attr("p", 2))
        xa = x.astype(acc_dtype(x.dtype), copy=False)
        if p == 1:
            norm = np.sum(np.abs(xa), axis=axis, keepdims=True)
        else:
            norm = np.sqrt(np.sum(xa * xa, axis=axis, keepdims=True))
        y = np.where(norm == 0, 0, xa / np.where(norm == 0, 1, norm))
        return (y.astype(x.dtype),)
