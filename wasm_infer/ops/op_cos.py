import numpy as np

from .base import register
from ._elementwise import Unary


@register("Cos", since=7)
class Cos(Unary):
    fn = np.cos
