"""com.microsoft QLinearMul (onnxruntime's quantizer, QuantFormat.QOperator):
C = quantize(dequantize(A) * dequantize(B)), computed as onnxruntime's MLAS
does it, in float32 with one ratio A_scale * B_scale / C_scale:

    C = saturate(rint((A - A_zp) * (B - B_zp) * ratio) + C_zp)

Inputs and checks as QLinearAdd (op_qlinear_add.py)."""
from ._contrib_quant import CONTRIB_DOMAIN
from .base import register
from .op_qlinear_add import _QLinearBinary


@register("QLinearMul", since=1, domain=CONTRIB_DOMAIN)
class QLinearMul(_QLinearBinary):
    @staticmethod
    def combine(va, vb, sa, sb, sc):
        return va * vb * (sa * sb / sc)
