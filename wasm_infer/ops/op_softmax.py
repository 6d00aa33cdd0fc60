import numpy as np

from .base import Op, register


def softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return (e / np.sum(e, axis=axis, keepdims=True)).astype(x.dtype)


@register("Softmax", since=1)
class Softmax1(Op):
    """Before opset 13 the input is coerced to 2-D at `axis`."""
    def run(self, x):
        axis = self.attr("axis", 1)
        axis = axis + x.ndim if axis < 0 else axis
        flat = x.reshape(int(np.prod(x.shape[:axis])), -1)
        return (softmax(flat, 1).reshape(x.shape),)


@register("Softmax", since=13)
class Softmax(Op):
    def run(self, x):
        return (softmax(x, self.attr("axis", -1)),)
