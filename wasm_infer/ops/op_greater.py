import numpy as np

from .base import register
from ._elementwise import Compare


@register("Greater", since=1)
class Greater(Compare):
    fn = np.greater
