import numpy as np

from .base import register
from ._reduce import Reduce


@register("ReduceSumSquare", since=1)
class ReduceSumSquare1(Reduce):
    def reduce(self, x, axes, keepdims):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(np.square(x), axis=axes, keepdims=keepdims)


@register("ReduceSumSquare", since=18)
class ReduceSumSquare(ReduceSumSquare1):
    """axes moved to an optional input."""
