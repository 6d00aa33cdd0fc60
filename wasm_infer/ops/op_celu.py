import numpy as np

from .base import register
from ._elementwise import Unary


@register("Celu", since=12)
class Celu(Unary):
    def init(self):
        self.alpha = self.attr("alpha", 1.0)

    def compute(self, x):
        a = x.dtype.type(self.alpha)
        return np.maximum(x, 0) + np.minimum(0, a * np.expm1(x / a))
