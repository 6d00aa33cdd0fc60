"""com.microsoft QGemm (onnxruntime's quantizer, QuantFormat.QOperator, for
Gemm): the int32 product of the centred uint8/int8 operands (transA/transB
as Gemm) plus the int32 bias C (scale a_scale * b_scale, zero point 0),
then, as onnxruntime computes it, with the float32 ratio
alpha * a_scale * b_scale / y_scale (per column when b_scale is):

    y_scale given: Y = saturate(rint(acc * ratio) + y_zero_point), y_zero_point's type
    no y_scale:    Y = acc * alpha * a_scale * b_scale, float32

Inputs: A, a_scale, a_zero_point, B, b_scale, b_zero_point, C, y_scale, y_zero_point."""
import numpy as np

from ._contrib_quant import CONTRIB_DOMAIN, centred, check_scale, check_zero_point, fail, input_index, requantize
from ..limits import check_matmul
from .base import Op, register


@register("QGemm", since=1, domain=CONTRIB_DOMAIN)
class QGemm(Op):
    def init(self):
        self.alpha = np.float32(self.attr("alpha", 1.0))
        self.trans_a, self.trans_b = int(self.attr("transA", 0)), int(self.attr("transB", 0))
        b = self.constant(3)
        per_column = (1,) if b is None else (1, int(np.shape(b)[0 if self.trans_b else -1]))
        check_scale(self, 1, what="a_scale")
        check_zero_point(self, 2, 0, what="a_zero_point")
        check_scale(self, 4, per_column, what="b_scale")
        check_zero_point(self, 5, 3, per_column, what="b_zero_point")
        if input_index(self, 7):
            check_scale(self, 7, what="y_scale")
            if input_index(self, 8):
                check_zero_point(self, 8, what="y_zero_point")
        elif input_index(self, 8):
            fail(self, "y_zero_point without y_scale")

    def run(self, a, a_scale, a_zp, b, b_scale, b_zp, c=None, y_scale=None, y_zp=None):
        check_matmul(self, a.shape[::-1] if self.trans_a else a.shape, b.shape[::-1] if self.trans_b else b.shape, 8)
        a32 = centred(a.T if self.trans_a else a, a_zp)
        b32 = centred(b, b_zp, (-1, 1) if self.trans_b else (1, -1))
        # float64 holds every sum of products of 9-bit values and the int32 bias exactly (and runs on BLAS).
        acc = a32.astype(np.float64) @ (b32.T if self.trans_b else b32).astype(np.float64)
        if c is not None:
            acc = acc + c.astype(np.float64)
        f32 = np.float32
        scale = self.alpha * f32(np.asarray(a_scale).reshape(())) * np.asarray(b_scale, f32).reshape(-1)
        if y_scale is None:
            return (acc.astype(f32) * scale,)
        ratio = scale / f32(np.asarray(y_scale).reshape(()))
        out = np.uint8 if y_zp is None else y_zp.dtype
        return (requantize(acc, ratio, 0 if y_zp is None else y_zp.reshape(-1)[0], out),)
