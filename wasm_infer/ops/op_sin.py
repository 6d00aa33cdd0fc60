import numpy as np

from .base import register
from ._elementwise import Unary


@register("Sin", since=7)
class Sin(Unary):
    fn = np.sin
