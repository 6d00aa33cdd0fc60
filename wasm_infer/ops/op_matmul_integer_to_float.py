"""com.microsoft MatMulIntegerToFloat (onnxruntime's fusion of
MatMulInteger + Cast + Mul by the scales, and its quantizer's output with
some options): Y = (A - a_zero_point) @ (B - b_zero_point) * a_scale * b_scale
+ bias, in float32. A and B uint8/int8; a_scale a scalar; b_scale and
b_zero_point a scalar or one per column of B; bias optional, one per
column. Inputs: A, B, a_scale, b_scale, a_zero_point, b_zero_point, bias."""
import numpy as np

from ._contrib_quant import CONTRIB_DOMAIN, centred, check_scale, check_zero_point, input_index
from ..limits import check_matmul
from .base import Op, register


def columns(op, b_index):
    """The number of columns of a constant B (None if B is not constant)."""
    b = op.constant(b_index)
    return None if b is None else int(np.shape(b)[-1])


def scaled_product(a32, b32, a_scale, b_scale, bias):
    """float32 result of the integer product, the scales and the bias. The
    product is taken in float64, where every sum of products of 9-bit values
    is exact (BLAS, not NumPy's integer loop)."""
    acc = np.matmul(a32.astype(np.float64), b32.astype(np.float64))
    f32 = np.float32
    y = acc.astype(f32) * (f32(np.asarray(a_scale).reshape(())) * np.asarray(b_scale, f32).reshape(-1))
    return y if bias is None else y + np.asarray(bias, f32)


@register("MatMulIntegerToFloat", since=1, domain=CONTRIB_DOMAIN)
class MatMulIntegerToFloat(Op):
    def init(self):
        n = columns(self, 1)
        per_column = (1,) if n is None else (1, n)
        check_scale(self, 2, what="a_scale")
        check_scale(self, 3, per_column, what="b_scale")
        if input_index(self, 4):
            check_zero_point(self, 4, 0, what="a_zero_point")
        if input_index(self, 5):
            check_zero_point(self, 5, 1, per_column, what="b_zero_point")

    def run(self, a, b, a_scale, b_scale, a_zp=None, b_zp=None, bias=None):
        check_matmul(self, a.shape, b.shape, 8)      # the product is taken in float64
        return (scaled_product(centred(a, a_zp), centred(b, b_zp, (1, -1)), a_scale, b_scale, bias),)
