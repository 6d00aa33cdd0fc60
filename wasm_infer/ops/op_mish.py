import numpy as np

from .base import register
from ._elementwise import Unary


@register("Mish", since=18)
class Mish(Unary):
    """x * tanh(softplus(x)); logaddexp keeps softplus finite for large x."""
    layout = "elementwise_unary"

    def compute(self, x):
        return x * np.tanh(np.logaddexp(0, x))
