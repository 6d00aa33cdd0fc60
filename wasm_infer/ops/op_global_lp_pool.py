import numpy as np

from .base import Op, register
from ._precision import acc_dtype


@register("GlobalLpPool", since=1)
class GlobalLpPool(Op):
    """Opset 1 had a float p attribute, opset 2 an int one; both default to 2."""
    def run(self, x):
        p = float(self.attr("p", 2))
        v = np.abs(x.astype(acc_dtype(x.dtype), copy=False)) ** p
        s = np.sum(v, axis=tuple(range(2, x.ndim)), keepdims=True)
        return ((s ** (1.0 / p)).astype(x.dtype),)
