import numpy as np

from .base import register
from ._reduce import Reduce


@register("ReduceSum", since=1)
class ReduceSum1(Reduce):
    def reduce(self, x, axes, keepdims):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(x, axis=axes, keepdims=keepdims)


@register("ReduceSum", since=13)
class ReduceSum(ReduceSum1):
    """axes moved to an optional input."""
