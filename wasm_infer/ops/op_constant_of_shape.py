import numpy as np

from ..errors import ModelError
from .base import Op, register


@register("ConstantOfShape", since=9)
class ConstantOfShape(Op):
    def init(self):
        value = self.attr("value")
        self.value = np.zeros(1, np.float32) if value is None else value.reshape(-1)
        if self.value.size != 1:
            raise ModelError(f"node {self.node.name!r}: ConstantOfShape value must have one element")

    def run(self, shape):
        return (np.full(tuple(int(d) for d in shape), self.value[0], dtype=self.value.dtype),)
