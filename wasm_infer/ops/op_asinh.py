import numpy as np

from .base import register
from ._elementwise import Unary


@register("Asinh", since=9)
class Asinh(Unary):
    fn = np.arcsinh
