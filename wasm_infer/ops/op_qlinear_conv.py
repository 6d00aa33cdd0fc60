import numpy as np

from .. import dtypes
from ._int_conv import int_conv, per_channel
from ._quant import INT_RANGES
from .base import Op, register


@register("QLinearConv", since=10)
class QLinearConv(Op):
    """Integer conv of centred operands plus the int32 bias, rescaled by
    x_scale * w_scale / y_scale (w_scale per output channel or scalar),
    rounded half to even and saturated to y's type."""

    def init(self):
        self.group = self.attr("group", 1)

    def run(self, x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, b=None):
        x32 = x.astype(np.int32) - np.asarray(x_zero_point).astype(np.int32).reshape(())
        w32 = w.astype(np.int32) - per_channel(w_zero_point, w.ndim).astype(np.int32)
        acc = int_conv(self, x32, w32, self.group)
        spatial = x.ndim - 2
        if b is not None:
            acc = acc + b.astype(np.int64).reshape((-1,) + (1,) * spatial)
        ratio = (x_scale.astype(np.float64) * per_channel(w_scale, spatial + 1).astype(np.float64)
                 / y_scale.astype(np.float64)).astype(np.float32)
        y = np.rint(acc.astype(np.float64) * ratio.astype(np.float64))
        y = y + np.asarray(y_zero_point).astype(np.float64).reshape(())
        lo, hi = INT_RANGES[dtypes.ONNX_OF[y_zero_point.dtype]]
        return (np.clip(y, lo, hi).astype(y_zero_point.dtype),)
