import numpy as np

from .base import register
from ._elementwise import Unary


@register("Elu", since=6)
class Elu(Unary):
    layout = "elementwise_unary"

    def init(self):
        self.alpha = self.attr("alpha", 1.0)

    def compute(self, x):
        return np.where(x < 0, x.dtype.type(self.alpha) * np.expm1(np.minimum(x, 0)), x)
