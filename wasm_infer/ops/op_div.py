import numpy as np

from .base import register
from ._elementwise import Binary


@register("Div", since=7)
class Div(Binary):
    layout = "elementwise_binary"
    fn = np.divide        # floats only, for the memory plan (compute handles ints)
    plan_ufunc = True

    def compute(self, a, b):
        if np.issubdtype(a.dtype, np.integer):
            # ONNX integer division truncates toward zero (C semantics), NumPy
            # floors; a - fmod(a, b) is an exact multiple of b, so // is exact.
            # Division by zero is undefined in ONNX; NumPy gives 0.
            with np.errstate(divide="ignore", invalid="ignore"):
                return (a - np.fmod(a, b)) // np.where(b == 0, 1, b) * (b != 0)
        return a / b
