import numpy as np

from .base import register
from ._elementwise import Unary


@register("Shrink", since=9)
class Shrink(Unary):
    """x+bias below -lambd, x-bias above lambd, 0 between (any numeric type)."""
    def init(self):
        self.bias = self.attr("bias", 0.0)
        self.lambd = self.attr("lambd", 0.5)

    def compute(self, x):
        return np.where(x < -self.lambd, x + self.bias, np.where(x > self.lambd, x - self.bias, 0))
