import numpy as np

from .base import register
from ._elementwise import Unary


@register("Abs", since=1)
class Abs(Unary):
    layout = "elementwise_unary"
    fn = np.abs
