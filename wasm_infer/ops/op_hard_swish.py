import numpy as np

from .base import register
from ._elementwise import Unary


@register("HardSwish", since=14)
class HardSwish(Unary):
    """x * HardSigmoid(x) with alpha 1/6, beta 0.5."""
    layout = "elementwise_unary"
    inplace = (0,)

    def compute(self, x):
        t = x.dtype.type
        return x * np.clip(x * t(1 / 6) + t(0.5), 0, 1)
