import numpy as np

from .base import register
from ._elementwise import Unary


@register("Atanh", since=9)
class Atanh(Unary):
    fn = np.arctanh
