import numpy as np

from .base import register
from ._elementwise import Binary


@register("Add", since=7)
class Add(Binary):
    layout = "elementwise_binary"
    fn = np.add
    plan_ufunc = True
