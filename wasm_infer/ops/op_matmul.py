import numpy as np

from .base import Op, register


@register("MatMul", since=1)
class MatMul(Op):
    def init(self):
        self.kernels = self.ctx.kernels

    def run(self, a, b):
        k = self.kernels
        if k is not None and a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype == np.float32 \
                and a.shape[1] == b.shape[0] and a.size and b.size:
            out = np.empty((a.shape[0], b.shape[1]), np.float32)
            k.gemm(np.ascontiguousarray(a), np.ascontiguousarray(b), None, out, -np.inf, np.inf)
            return (out,)
        return (np.matmul(a, b),)
