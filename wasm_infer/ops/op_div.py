import numpy as np

from .base import Op, register
from ._elementwise import same_dtype


@register("Div", since=7)
class Div(Op):
    def run(self, a, b):
        if np.issubdtype(a.dtype, np.integer):
            # ONNX integer division truncates toward zero (C semantics), NumPy floors.
            with np.errstate(divide="ignore"):
                q = np.trunc(a.astype(np.float64) / b).astype(a.dtype)
            return (q,)
        return (same_dtype(np.asarray(a / b), a),)
