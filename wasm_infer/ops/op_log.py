import numpy as np

from .base import register
from ._elementwise import Unary


@register("Log", since=1)
class Log(Unary):
    fn = np.log
