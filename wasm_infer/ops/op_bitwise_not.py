import numpy as np

from .base import register
from ._elementwise import Unary


@register("BitwiseNot", since=18)
class BitwiseNot(Unary):
    fn = np.invert
