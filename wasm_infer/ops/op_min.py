import numpy as np

from .base import register
from ._elementwise import Variadic


@register("Min", since=1)
class Min(Variadic):
    """np.minimum propagates NaN, as ONNX requires."""
    layout = "elementwise_binary"
    fn = np.minimum
