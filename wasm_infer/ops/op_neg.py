import numpy as np

from .base import register
from ._elementwise import Unary


@register("Neg", since=1)
class Neg(Unary):
    layout = "elementwise_unary"
    fn = np.negative
