import numpy as np

from .base import Op, register


@register("MatMul", since=1)
class MatMul(Op):
    def init(self):
        self.kernels = self.ctx.kernels

    def bindable(self, inputs):
        (sa, da), (sb, db) = inputs
        return (self.kernels is not None and sa is not None and sb is not None and len(sa) == 2
                and len(sb) == 2 and da == db == np.float32 and sa[1] == sb[0] and 0 not in sa + sb)

    def bind(self, inputs, outputs):
        a, b = inputs
        return self.kernels.bind_gemm(a, np.ascontiguousarray(b), None, outputs[0], -np.inf, np.inf)

    def run(self, a, b):
        k = self.kernels
        if k is not None and a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype == np.float32 \
                and a.shape[1] == b.shape[0] and a.size and b.size:
            out = np.empty((a.shape[0], b.shape[1]), np.float32)
            k.gemm(np.ascontiguousarray(a), np.ascontiguousarray(b), None, out, -np.inf, np.inf)
            return (out,)
        return (np.matmul(a, b),)
