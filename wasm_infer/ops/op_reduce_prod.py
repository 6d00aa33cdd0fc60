import numpy as np

from .base import register
from ._reduce import Reduce


@register("ReduceProd", since=1)
class ReduceProd1(Reduce):
    def reduce(self, x, axes, keepdims):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.prod(x, axis=axes, keepdims=keepdims)


@register("ReduceProd", since=18)
class ReduceProd(ReduceProd1):
    """axes moved to an optional input."""
