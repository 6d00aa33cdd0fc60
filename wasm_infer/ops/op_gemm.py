import numpy as np

from .base import Op, register


@register("Gemm", since=7)
class Gemm(Op):
    """Y = alpha * A' @ B' + beta * C. With kernels, a constant B is transposed
    once here into the row-major K×N layout the GEMM kernel reads."""
    def init(self):
        self.alpha = self.attr("alpha", 1.0)
        self.beta = self.attr("beta", 1.0)
        self.trans_a = self.attr("transA", 0)
        self.trans_b = self.attr("transB", 0)
        self.kernels = self.ctx.kernels
        b = self.constant(1)
        self.packed_b = None
        if self.kernels is not None and b is not None and b.dtype == np.float32 and b.ndim == 2:
            self.packed_b = np.ascontiguousarray((b.T if self.trans_b else b) * np.float32(self.alpha))

    def _kernel_bias(self, c, n):
        """(usable, bias): the kernel adds a per-column float32 bias with beta 1."""
        if c is None or self.beta == 0:
            return True, None
        if c.dtype == np.float32 and c.size == n and c.shape[-1] == n and self.beta == 1.0:
            return True, np.ascontiguousarray(c.reshape(n))
        return False, None

    def bindable(self, inputs):
        a = inputs[0]
        if self.packed_b is None or a[1] != np.float32 or a[0] is None or len(a[0]) != 2 or self.trans_a:
            return False
        k, n = self.packed_b.shape
        c = self.constant(2) if len(inputs) > 2 and inputs[2] is not None else None
        if len(inputs) > 2 and inputs[2] is not None and c is None:
            return False
        return a[0][1] == k and 0 not in a[0] and self._kernel_bias(c, n)[0]

    def bind(self, inputs, outputs):
        k, n = self.packed_b.shape
        c = inputs[2] if len(inputs) > 2 else None
        return self.kernels.bind_gemm(inputs[0], self.packed_b, self._kernel_bias(c, n)[1], outputs[0],
                                      -np.inf, np.inf)

    def run(self, a, b, c=None):
        if self.packed_b is not None and a.dtype == np.float32 and a.ndim == 2 and a.size:
            a2 = np.ascontiguousarray(a.T if self.trans_a else a)
            k, n = self.packed_b.shape
            usable, bias = self._kernel_bias(c, n)
            if usable and a2.shape[1] == k:
                out = np.empty((a2.shape[0], n), np.float32)
                self.kernels.gemm(a2, self.packed_b, bias, out, -np.inf, np.inf)
                return (out,)
        a = a.T if self.trans_a else a
        b = b.T if self.trans_b else b
        y = self.alpha * (a @ b)
        if c is not None:
            y = y + self.beta * c
        return (y.astype(a.dtype),)
