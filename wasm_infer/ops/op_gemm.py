from ..limits import check_matmul
from .base import Op, register


@register("Gemm", since=7)
class Gemm(Op):
    """Y = alpha * A' @ B' + beta * C."""
    def init(self):
        self.alpha = self.attr("alpha", 1.0)
        self.beta = self.attr("beta", 1.0)
        self.trans_a = self.attr("transA", 0)
        self.trans_b = self.attr("transB", 0)

    def run(self, a, b, c=None):
        a = a.T if self.trans_a else a
        b = b.T if self.trans_b else b
        check_matmul(self, a.shape, b.shape, 8)      # alpha * (a @ b) may be float64 before the cast
        y = self.alpha * (a @ b)
        if c is not None:
            y = y + self.beta * c
        return (y.astype(a.dtype),)
