import numpy as np

from .base import register
from ._elementwise import Unary, floating
from ._erf import erf


@register("Gelu", since=20)
class Gelu(Unary):
    """approximate="none": x/2 (1 + erf(x/√2)); "tanh": the tanh approximation."""
    layout = "elementwise_unary"

    def init(self):
        self.tanh = self.attr("approximate", "none") == "tanh"

    def compute(self, x):
        f = floating(x).astype(np.float64)
        if self.tanh:
            inner = np.sqrt(2 / np.pi) * (f + 0.044715 * f ** 3)
            return 0.5 * f * (1 + np.tanh(inner))
        return 0.5 * f * (1 + erf(f / np.sqrt(2)))
