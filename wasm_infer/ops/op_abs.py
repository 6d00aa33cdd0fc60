import numpy as np

from .base import register
from ._elementwise import Unary


@register("Abs", since=1)
class Abs(Unary):
    fn = np.abs
