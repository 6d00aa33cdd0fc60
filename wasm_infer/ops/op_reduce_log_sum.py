import numpy as np

from .base import register
from ._elementwise import floating
from ._reduce import Reduce


@register("ReduceLogSum", since=1)
class ReduceLogSum1(Reduce):
    """An empty set gives log(0) = -inf."""
    def reduce(self, x, axes, keepdims):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(np.sum(floating(x), axis=axes, keepdims=keepdims))


@register("ReduceLogSum", since=18)
class ReduceLogSum(ReduceLogSum1):
    """axes moved to an optional input."""
