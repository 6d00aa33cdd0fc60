import numpy as np

from .base import register
from ._elementwise import floating
from ._reduce import Reduce


@register("ReduceL2", since=1)
class ReduceL21(Reduce):
    def reduce(self, x, axes, keepdims):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sqrt(np.sum(np.square(floating(x)), axis=axes, keepdims=keepdims))


@register("ReduceL2", since=18)
class ReduceL2(ReduceL21):
    """axes moved to an optional input."""
