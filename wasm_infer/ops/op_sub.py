import numpy as np

from .base import register
from ._elementwise import Binary


@register("Sub", since=7)
class Sub(Binary):
    layout = "elementwise_binary"
    fn = np.subtract
    plan_ufunc = True
