import numpy as np

from ..errors import ModelError
from ..limits import check_output
from .base import Op, register


@register("ConstantOfShape", since=9)
class ConstantOfShape(Op):
    def init(self):
        value = self.attr("value")
        self.value = np.zeros(1, np.float32) if value is None else value.reshape(-1)
        if self.value.size != 1:
            raise ModelError(f"node {self.node.name!r}: ConstantOfShape value must have one element")

    def run(self, shape):
        dims = tuple(int(d) for d in shape)
        check_output(self, dims, self.value.dtype.itemsize)
        return (np.full(dims, self.value[0], dtype=self.value.dtype),)
