import numpy as np

from .base import register
from ._elementwise import Unary


@register("Softsign", since=1)
class Softsign(Unary):
    fn = staticmethod(lambda x: x / (1 + np.abs(x)))
