import numpy as np

from .base import register
from ._elementwise import Unary


@register("Tanh", since=1)
class Tanh(Unary):
    layout = "elementwise_unary"
    fn = np.tanh
