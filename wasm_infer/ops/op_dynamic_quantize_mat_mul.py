"""com.microsoft DynamicQuantizeMatMul (onnxruntime's fusion of
DynamicQuantizeLinear + MatMulInteger + the scale Muls): A float32 is
quantized to uint8 per tensor as DynamicQuantizeLinear does, then
Y = (A_q - A_zp) @ (B - b_zero_point) * A_scale * b_scale + bias in float32.
B int8/uint8; b_scale and b_zero_point a scalar or one per column; bias
optional. Inputs: A, B, b_scale, b_zero_point, bias."""
from ._contrib_quant import CONTRIB_DOMAIN, centred, check_scale, check_zero_point, dynamic_quantize, input_index
from ..limits import check_matmul
from .base import Op, register
from .op_matmul_integer_to_float import columns, scaled_product


@register("DynamicQuantizeMatMul", since=1, domain=CONTRIB_DOMAIN)
class DynamicQuantizeMatMul(Op):
    def init(self):
        n = columns(self, 1)
        per_column = (1,) if n is None else (1, n)
        check_scale(self, 2, per_column, what="b_scale")
        if input_index(self, 3):
            check_zero_point(self, 3, 1, per_column, what="b_zero_point")

    def run(self, a, b, b_scale, b_zp=None, bias=None):
        check_matmul(self, a.shape, b.shape, 8)      # the product is taken in float64
        q, scale, zp = dynamic_quantize(a)
        return (scaled_product(centred(q, zp), centred(b, b_zp, (1, -1)), scale, b_scale, bias),)
