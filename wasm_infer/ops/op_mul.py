import numpy as np

from .base import register
from ._elementwise import Binary


@register("Mul", since=7)
class Mul(Binary):
    layout = "elementwise_binary"
    fn = np.multiply
    plan_ufunc = True
