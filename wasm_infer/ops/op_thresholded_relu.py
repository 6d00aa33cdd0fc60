import numpy as np

from .base import register
from ._elementwise import Unary


@register("ThresholdedRelu", since=10)
class ThresholdedRelu(Unary):
    def init(self):
        self.alpha = self.attr("alpha", 1.0)

    def compute(self, x):
        return np.where(x > self.alpha, x, 0)
