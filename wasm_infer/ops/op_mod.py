import numpy as np

from .base import register
from ._elementwise import Binary


@register("Mod", since=10)
class Mod(Binary):
    """fmod=0: sign of the divisor (np.mod, also for floats' special cases);
    fmod=1: sign of the dividend, as C fmod."""
    def init(self):
        self.mod = np.fmod if self.attr("fmod", 0) else np.mod

    def compute(self, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.mod(a, b)
