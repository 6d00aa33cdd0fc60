import numpy as np

from .base import register
from ._elementwise import Binary


@register("And", since=1)
class And(Binary):
    fn = np.logical_and
