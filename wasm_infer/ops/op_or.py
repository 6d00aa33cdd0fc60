import numpy as np

from .base import register
from ._elementwise import Binary


@register("Or", since=1)
class Or(Binary):
    fn = np.logical_or
