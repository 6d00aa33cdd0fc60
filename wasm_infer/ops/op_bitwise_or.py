import numpy as np

from .base import register
from ._elementwise import Binary


@register("BitwiseOr", since=18)
class BitwiseOr(Binary):
    fn = np.bitwise_or
