import numpy as np

from .base import register
from ._elementwise import Unary


@register("Swish", since=24)
class Swish(Unary):
    """x * sigmoid(alpha x)."""
    layout = "elementwise_unary"

    def init(self):
        self.alpha = self.attr("alpha", 1.0)

    def compute(self, x):
        ax = x * x.dtype.type(self.alpha)
        e = np.exp(-np.abs(ax))  # split by sign so exp never overflows
        return x * np.where(ax >= 0, 1 / (1 + e), e / (1 + e))
