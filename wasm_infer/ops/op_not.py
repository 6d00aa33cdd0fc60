import numpy as np

from .base import register
from ._elementwise import Unary


@register("Not", since=1)
class Not(Unary):
    fn = np.logical_not
