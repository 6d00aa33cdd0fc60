import numpy as np

from .base import register
from ._elementwise import Unary


@register("Acosh", since=9)
class Acosh(Unary):
    fn = np.arccosh
