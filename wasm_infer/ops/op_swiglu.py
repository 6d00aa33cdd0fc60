import numpy as np

from .base import Op, register


@register("SwiGLU", since=28)
class SwiGLU(Op):
    """Y = A * sigmoid(alpha * A) * B (A, B of one shape)."""

    def run(self, a, b):
        alpha = self.attr("alpha", 1.0)
        gate = (1 / (1 + np.exp(-alpha * a))).astype(a.dtype)
        return ((a * gate * b).astype(a.dtype),)
