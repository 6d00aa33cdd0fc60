import numpy as np

from .base import register
from ._elementwise import Unary


@register("Round", since=11)
class Round(Unary):
    """ONNX rounds halves to even, as np.round does."""
    fn = np.round
