import numpy as np

from .base import register
from ._elementwise import Binary


@register("BitwiseAnd", since=18)
class BitwiseAnd(Binary):
    fn = np.bitwise_and
