import numpy as np

from .base import register
from ._reduce import Reduce, highest


@register("ReduceMin", since=1)
class ReduceMin1(Reduce):
    """Empty sets give the dtype's highest value (inf for floats)."""
    def reduce(self, x, axes, keepdims):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.min(x, axis=axes, keepdims=keepdims, initial=highest(x.dtype))


@register("ReduceMin", since=18)
class ReduceMin(ReduceMin1):
    """axes moved to an optional input."""
