import numpy as np

from .base import register
from ._elementwise import Unary, kernel_unary


@register("HardSwish", since=14)
class HardSwish(Unary):
    """x * HardSigmoid(x) with alpha 1/6, beta 0.5."""
    def compute(self, x):
        t = x.dtype.type
        return x * np.clip(x * t(1 / 6) + t(0.5), 0, 1)

    inplace = (0,)

    def bindable(self, inputs):
        k = self.ctx.kernels
        return inputs[0] is not None and inputs[0][1] == np.float32 and k is not None and hasattr(k, "bind_unary")

    def bind(self, inputs, outputs):
        return kernel_unary(self, "hardswish", inputs[0], outputs[0])
