import numpy as np

from .base import register
from ._elementwise import Binary


@register("Xor", since=1)
class Xor(Binary):
    fn = np.logical_xor
