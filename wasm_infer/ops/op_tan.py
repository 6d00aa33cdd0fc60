import numpy as np

from .base import register
from ._elementwise import Unary


@register("Tan", since=7)
class Tan(Unary):
    fn = np.tan
