import numpy as np

from ..errors import InputError
from ..limits import check_output
from .base import Op, register


@register("Gather", since=1)
class Gather(Op):
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x, indices):
        axis = self.attr("axis", 0)
        n = x.shape[axis]
        if indices.size and (indices.min() < -n or indices.max() >= n):
            raise InputError(f"node {self.node.name!r} (Gather): index out of range for axis of size {n}")
        if indices.size > n:    # repeated indices: a few kB of them can make a large output
            check_output(self, x.shape[:axis % x.ndim] + indices.shape + x.shape[axis % x.ndim + 1:], x.dtype.itemsize)
        # intp is 32-bit in wasm32: NumPy refuses int64 indices there.
        return (np.take(x, indices.astype(np.intp), axis=axis),)
