"""com.microsoft QLinearAdd (onnxruntime's quantizer, QuantFormat.QOperator):
C = quantize(dequantize(A) + dequantize(B)) on uint8/int8 with NumPy
broadcasting, computed as onnxruntime's MLAS does it, in float32 with the
scale ratios A_scale / C_scale and B_scale / C_scale:

    C = saturate(rint(ra * (A - A_zp) + rb * (B - B_zp)) + C_zp)

(the formula of the internal QS8Add that fuse_qdq makes of the QDQ form).
Zero points are optional (0); scales and zero points are per tensor."""
import numpy as np

from ._contrib_quant import CONTRIB_DOMAIN, check_scale, check_zero_point, scalar
from ._quant import INT_RANGES
from .. import dtypes
from .base import Op, register


class _QLinearBinary(Op):
    """Inputs A, A_scale, A_zero_point, B, B_scale, B_zero_point, C_scale, C_zero_point."""

    def init(self):
        for s, z, data in ((1, 2, 0), (4, 5, 3), (6, 7, None)):
            check_scale(self, s)
            check_zero_point(self, z, data)

    def run(self, a, a_scale, a_zp, b, b_scale, b_zp, c_scale, c_zp=None):
        f32 = np.float32
        va = a.astype(f32) - f32(int(scalar(a_zp)))      # exact for 8-bit values
        vb = b.astype(f32) - f32(int(scalar(b_zp)))
        y = self.combine(va, vb, f32(scalar(a_scale)), f32(scalar(b_scale)), f32(scalar(c_scale)))
        lo, hi = INT_RANGES[dtypes.ONNX_OF[a.dtype]]
        return (np.clip(np.rint(y) + f32(int(scalar(c_zp))), lo, hi).astype(a.dtype),)


@register("QLinearAdd", since=1, domain=CONTRIB_DOMAIN)
class QLinearAdd(_QLinearBinary):
    @staticmethod
    def combine(va, vb, sa, sb, sc):
        return va * (sa / sc) + vb * (sb / sc)
