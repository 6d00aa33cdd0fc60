import numpy as np

from .base import register
from ._reduce import Reduce


@register("ReduceMean", since=1)
class ReduceMean1(Reduce):
    def reduce(self, x, axes, keepdims):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.mean(x, axis=axes, keepdims=keepdims)


@register("ReduceMean", since=18)
class ReduceMean(ReduceMean1):
    """axes moved to an optional input."""
