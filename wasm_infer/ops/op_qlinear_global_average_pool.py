"""com.microsoft QLinearGlobalAveragePool (onnxruntime's quantizer,
QuantFormat.QOperator): the mean over the spatial axes of a uint8/int8
tensor, requantized as onnxruntime's MLAS does it: the int32 sum of
X - x_zero_point over the N spatial positions times the float32 ratio
x_scale / (y_scale * N), rounded half to even, plus y_zero_point,
saturated. channels_last = 1: X is [batch, spatial..., C]."""
import numpy as np

from ._contrib_quant import CONTRIB_DOMAIN, check_scale, check_zero_point, requantize, scalar
from .base import Op, register


@register("QLinearGlobalAveragePool", since=1, domain=CONTRIB_DOMAIN)
class QLinearGlobalAveragePool(Op):
    def init(self):
        self.channels_last = bool(self.attr("channels_last", 0))
        for s, z, data in ((1, 2, 0), (3, 4, None)):
            check_scale(self, s)
            check_zero_point(self, z, data)

    def run(self, x, x_scale, x_zp, y_scale, y_zp):
        axes = tuple(range(1, x.ndim - 1)) if self.channels_last else tuple(range(2, x.ndim))
        n = int(np.prod([x.shape[a] for a in axes]))
        acc = x.astype(np.int64).sum(axis=axes, keepdims=True) - int(scalar(x_zp)) * n
        f32 = np.float32
        ratio = f32(scalar(x_scale)) / (f32(scalar(y_scale)) * f32(n))
        return (requantize(acc, ratio, scalar(y_zp), x.dtype),)
