import numpy as np

from .base import register
from ._elementwise import Binary


@register("BitwiseXor", since=18)
class BitwiseXor(Binary):
    fn = np.bitwise_xor
