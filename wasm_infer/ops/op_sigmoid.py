import numpy as np

from .base import Op, register
from ._elementwise import kernel_unary


@register("Sigmoid", since=1)
class Sigmoid(Op):
    inplace = (0,)

    def bindable(self, inputs):
        return inputs[0] is not None and inputs[0][1] in (np.float32, np.float64)

    def bind(self, inputs, outputs):
        x, out = inputs[0], outputs[0]
        one = x.dtype.type(1)
        fast = kernel_unary(self, "sigmoid", x, out)
        if fast is not None:
            return fast

        def run():  # 1 / (1 + exp(-x)), in place in out; exp overflow to inf gives 0
            with np.errstate(over="ignore"):
                np.negative(x, out=out)
                np.exp(out, out=out)
                np.add(out, one, out=out)
                np.reciprocal(out, out=out)
        return run

    def run(self, x):
        # Split by sign so exp never overflows.
        e = np.exp(-np.abs(x))
        return (np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype),)
