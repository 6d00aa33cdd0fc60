import numpy as np

from .base import register
from ._elementwise import Compare


@register("LessOrEqual", since=12)
class LessOrEqual(Compare):
    fn = np.less_equal
