"""QS8Conv: the int8 convolution that the fuse_qdq pass makes of
DequantizeLinear(x) + DequantizeLinear(int8 weights) → Conv → (Relu/Clip) →
QuantizeLinear, NCHW. Internal op: models never contain it.

Inputs: x (uint8 or int8), w (int8 [M, C/group, KH, KW], weight zero point 0),
bias (int32 [M], in units of x_scale * w_scale[m]; optional), scale (float32
[M], x_scale * w_scale[m] / y_scale, computed in float32 as onnxruntime's
QLinearConv does). Attributes: the Conv's, x_zero_point, y_zero_point,
output_min / output_max (the output type's range narrowed by a fused
Relu/Clip: quantizing is monotonic, so clamping before it or after it is the
same) and output_signed (0: uint8 output, 1: int8).

    acc = sum (x - x_zero_point) * w + bias                      exact, int32
    y   = clamp(round_half_even(float32(acc) * scale[m]),
                output_min - y_zero_point, output_max - y_zero_point) + y_zero_point

which is onnxruntime's requantization (MLAS: float product, clamp, round to
nearest even, add the zero point), so the result is bit-exact with its
QLinearConv. NumPy reference; the fast path is in lowering/qs8.py."""
import numpy as np

from ..errors import InputError
from ._conv_shapes import check_padded, conv_geometry
from ._int_conv import int_conv
from .base import Op, register
from .internal import DOMAIN
from .op_conv import conv_numpy


def requantize(acc, scale, zero_point, lo, hi, signed, channel_axis):
    """int acc (any shape) → uint8/int8 with a per-channel float32 scale along
    channel_axis (float32 product, round half to even, clamp, zero point)."""
    shape = [1] * acc.ndim
    shape[channel_axis] = -1
    y = acc.astype(np.float32) * np.asarray(scale, np.float32).reshape(shape)
    y = np.clip(np.rint(y), lo - zero_point, hi - zero_point) + zero_point
    return y.astype(np.int8 if signed else np.uint8)


class QS8ConvBase(Op):
    def init(self):
        self.group = self.attr("group", 1)
        self.zx = int(self.required_attr("x_zero_point"))
        self.zy = int(self.required_attr("y_zero_point"))
        self.lo = int(self.required_attr("output_min"))
        self.hi = int(self.required_attr("output_max"))
        self.signed = bool(self.attr("output_signed", 0))

    def compute(self, x_nchw, w, bias, scale):
        if x_nchw.dtype not in (np.uint8, np.int8) or w.dtype != np.int8:
            raise InputError(f"node {self.node.name!r} ({self.op_type}): needs uint8/int8 x and int8 weights, "
                             f"got {x_nchw.dtype} and {w.dtype}")
        # float64 BLAS: every product (|x - zero| <= 255 times |w| <= 128) and every
        # sum below 2**53 is an exact integer, so this is the exact int32 accumulator
        # of the SIMD path (which a valid model never overflows: C * KH * KW *
        # 255 * 128 < 2**31), several times faster than integer matmuls
        if x_nchw.ndim < 3 or x_nchw.ndim != w.ndim:
            return self._int(x_nchw, w, bias, scale)
        xc = x_nchw.astype(np.float64) - self.zx
        strides, dilations, begin, end, out = conv_geometry(self, x_nchw.shape[2:], list(w.shape[2:]))
        check_padded(self, x_nchw.shape[:2], x_nchw.shape[2:], begin, end, (x_nchw.shape[0], w.shape[0]), out, 8,
                     w[0].size)
        if x_nchw.shape[1] != w.shape[1] * self.group or w.shape[0] % self.group:
            return self._int(x_nchw, w, bias, scale)      # int_conv says what does not fit
        acc = conv_numpy(xc, w.astype(np.float64), None if bias is None else bias.astype(np.float64),
                         strides, dilations, begin, end, out, self.group, self)
        return requantize(acc, scale, self.zy, self.lo, self.hi, self.signed, 1)

    def _int(self, x_nchw, w, bias, scale):
        acc = int_conv(self, x_nchw.astype(np.int32) - self.zx, w.astype(np.int32), self.group)
        if bias is not None:
            acc = acc + bias.astype(np.int64).reshape((-1,) + (1,) * (acc.ndim - 2))
        return requantize(acc, scale, self.zy, self.lo, self.hi, self.signed, 1)


@register("QS8Conv", since=1, domain=DOMAIN)
class QS8Conv(QS8ConvBase):
    def run(self, x, w, bias=None, scale=None):
        return (self.compute(x, w, bias, scale),)
