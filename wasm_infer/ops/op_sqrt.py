import numpy as np

from .base import register
from ._elementwise import Unary


@register("Sqrt", since=1)
class Sqrt(Unary):
    layout = "elementwise_unary"
    fn = np.sqrt
