import numpy as np

from .base import register
from ._elementwise import Unary


@register("Selu", since=6)
class Selu(Unary):
    layout = "elementwise_unary"

    def init(self):
        self.alpha = self.attr("alpha", 1.67326319217681884765625)
        self.gamma = self.attr("gamma", 1.05070102214813232421875)

    def compute(self, x):
        t = x.dtype.type
        neg = t(self.alpha) * np.expm1(np.minimum(x, 0))
        return t(self.gamma) * np.where(x > 0, x, neg)
