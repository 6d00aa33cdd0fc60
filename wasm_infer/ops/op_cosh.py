import numpy as np

from .base import register
from ._elementwise import Unary


@register("Cosh", since=9)
class Cosh(Unary):
    fn = np.cosh
