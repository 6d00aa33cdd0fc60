import numpy as np

from ..errors import InputError
from .base import Op, register


@register("Gather", since=1)
class Gather(Op):
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x, indices):
        axis = self.attr("axis", 0)
        n = x.shape[axis]
        if indices.size and (indices.min() < -n or indices.max() >= n):
            raise InputError(f"node {self.node.name!r} (Gather): index out of range for axis of size {n}")
        # intp is 32-bit in wasm32: NumPy refuses int64 indices there.
        return (np.take(x, indices.astype(np.intp), axis=axis),)
