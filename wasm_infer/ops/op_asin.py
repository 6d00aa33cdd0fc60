import numpy as np

from .base import register
from ._elementwise import Unary


@register("Asin", since=7)
class Asin(Unary):
    fn = np.arcsin
