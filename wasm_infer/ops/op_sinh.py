import numpy as np

from .base import register
from ._elementwise import Unary


@register("Sinh", since=9)
class Sinh(Unary):
    fn = np.sinh
