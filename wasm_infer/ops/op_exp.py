import numpy as np

from .base import register
from ._elementwise import Unary


@register("Exp", since=1)
class Exp(Unary):
    layout = "elementwise_unary"
    fn = np.exp
