import numpy as np

from .base import register
from ._reduce import Reduce, lowest


@register("ReduceMax", since=1)
class ReduceMax1(Reduce):
    """Empty sets give the dtype's lowest value (-inf for floats)."""
    def reduce(self, x, axes, keepdims):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.max(x, axis=axes, keepdims=keepdims, initial=lowest(x.dtype))


@register("ReduceMax", since=18)
class ReduceMax(ReduceMax1):
    """axes moved to an optional input."""
