import numpy as np

from .base import register
from ._elementwise import Unary


@register("Acos", since=7)
class Acos(Unary):
    fn = np.arccos
