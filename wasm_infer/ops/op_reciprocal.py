import numpy as np

from .base import register
from ._elementwise import Unary


@register("Reciprocal", since=1)
class Reciprocal(Unary):
    fn = np.reciprocal
