import numpy as np

from .base import register
from ._elementwise import Binary


@register("Pow", since=1)
class Pow(Binary):
    """The result has the base's type whatever the exponent's type (opset 12+)."""
    def compute(self, a, b):
        if np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer):
            if b.size and b.min() < 0:  # NumPy refuses negative integer powers
                return np.power(a.astype(np.float64), b)
            return np.power(a, b.astype(a.dtype))
        return np.power(a, b)
