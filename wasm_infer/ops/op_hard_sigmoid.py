import numpy as np

from .base import register
from ._elementwise import Unary


@register("HardSigmoid", since=6)
class HardSigmoid(Unary):
    layout = "elementwise_unary"

    def init(self):
        self.alpha = self.attr("alpha", 0.2)
        self.beta = self.attr("beta", 0.5)

    def compute(self, x):
        t = x.dtype.type
        return np.clip(t(self.alpha) * x + t(self.beta), 0, 1)
