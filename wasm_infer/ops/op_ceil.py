import numpy as np

from .base import register
from ._elementwise import Unary


@register("Ceil", since=1)
class Ceil(Unary):
    fn = np.ceil
