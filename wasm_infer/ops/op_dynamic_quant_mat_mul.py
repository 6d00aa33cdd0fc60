"""DynamicQuantMatMul: what onnxruntime's quantize_dynamic writes after each
DynamicQuantizeLinear for a MatMul by constant weights,

    MatMulInteger(a, b, a_zero_point, b_zero_point) -> Cast(float) -> Mul(a_scale * b_scale) -> (Add bias)

as one op, made by passes/fuse_dynamic_quant_matmul.py. Internal op: models
never contain it. Inputs in the order of onnxruntime's MatMulIntegerToFloat:
a (uint8 [..., K]), b (int8 or uint8 [K, N]), a_scale (float32 scalar),
b_scale (float32 scalar or [N]), a_zero_point (uint8 scalar, optional),
b_zero_point (b's dtype, scalar or [N], optional), bias (float32 [N], optional).

    acc = (a - a_zero_point) @ (b - b_zero_point)        exact, int32 (wrapping as MatMulInteger's int32 does)
    y   = float32(acc) * (a_scale * b_scale) [+ bias]     float32, in the graph's order

so it equals the unfused nodes bit for bit. NumPy reference; the kernel
path is in lowering/dynamic_quant.py."""
import numpy as np

from ..limits import check_matmul
from .base import Op, register
from .internal import DOMAIN
from .op_matmul_integer import centred


def exact_matmul_int32(a, b):
    """int32 matmul of int32 arrays as numpy's int32 matmul wraps, through a
    float64 matmul (exact: every partial sum of 8-bit products over fewer
    than 2**37 terms is an integer below 2**53) that uses BLAS where int32
    does not."""
    acc = np.matmul(a.astype(np.float64), b.astype(np.float64))
    return acc.astype(np.int64).astype(np.int32)


@register("DynamicQuantMatMul", since=1, domain=DOMAIN)
class DynamicQuantMatMul(Op):
    def run(self, a, b, a_scale, b_scale, a_zero_point=None, b_zero_point=None, bias=None):
        check_matmul(self, a.shape, b.shape, 8)      # the product is taken in float64
        acc = exact_matmul_int32(centred(a, a_zero_point), centred(b, b_zero_point, (1, -1)))
        y = acc.astype(np.float32) * (a_scale * b_scale)
        if bias is not None:
            y = bias + y
        return (y,)
