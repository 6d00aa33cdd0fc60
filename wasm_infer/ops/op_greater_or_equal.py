import numpy as np

from .base import register
from ._elementwise import Compare


@register("GreaterOrEqual", since=12)
class GreaterOrEqual(Compare):
    fn = np.greater_equal
