import numpy as np

from .base import register
from ._elementwise import Unary


@register("LeakyRelu", since=6)
class LeakyRelu(Unary):
    layout = "elementwise_unary"

    def init(self):
        self.alpha = self.attr("alpha", 0.01)

    def compute(self, x):
        return np.where(x < 0, x * x.dtype.type(self.alpha), x)
