import numpy as np

from .base import register
from ._elementwise import Variadic


@register("Max", since=1)
class Max(Variadic):
    """np.maximum propagates NaN, as ONNX requires."""
    layout = "elementwise_binary"
    fn = np.maximum
