from .base import register
from ._elementwise import Unary
from ._erf import erf


@register("Erf", since=9)
class Erf(Unary):
    layout = "elementwise_unary"

    def compute(self, x):
        return erf(x)
