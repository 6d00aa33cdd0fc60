import numpy as np

from .base import register
from ._elementwise import Unary


@register("Floor", since=1)
class Floor(Unary):
    fn = np.floor
