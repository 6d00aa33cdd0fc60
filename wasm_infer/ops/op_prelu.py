import numpy as np

from .base import register
from ._elementwise import Binary


@register("PRelu", since=1)
class PRelu(Binary):
    """slope broadcasts to x (unidirectionally)."""
    layout = "elementwise_binary"

    def compute(self, x, slope):
        return np.where(x < 0, x * slope.astype(x.dtype), x)
