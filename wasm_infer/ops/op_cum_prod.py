import numpy as np

from .base import register
from ._cumulative import Cumulative


@register("CumProd", since=26)
class CumProd(Cumulative):
    fn = np.cumprod
    identity = 1
