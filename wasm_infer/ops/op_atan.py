import numpy as np

from .base import register
from ._elementwise import Unary


@register("Atan", since=7)
class Atan(Unary):
    fn = np.arctan
