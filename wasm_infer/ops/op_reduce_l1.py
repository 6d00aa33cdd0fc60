import numpy as np

from .base import register
from ._reduce import Reduce


@register("ReduceL1", since=1)
class ReduceL11(Reduce):
    def reduce(self, x, axes, keepdims):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(np.abs(x), axis=axes, keepdims=keepdims)


@register("ReduceL1", since=18)
class ReduceL1(ReduceL11):
    """axes moved to an optional input."""
