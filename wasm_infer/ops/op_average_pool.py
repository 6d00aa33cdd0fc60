import numpy as np

from .base import Op, register
from ._precision import acc_dtype
from ._pool import pool_geometry, tap_counts, taps


@register("AveragePool", since=1)
class AveragePool(Op):
    """ceil_mode (opset 10), dilations (19) and count_include_pad (7) are
    plain attributes whose defaults reproduce the older versions."""
    def run(self, x):
        kernel, strides, dilations, begin, end, out = pool_geometry(self, x)
        acc = acc_dtype(x.dtype)
        total = np.zeros(x.shape[:2] + tuple(out), acc)
        for _, t in taps(x.astype(acc, copy=False), kernel, strides, dilations, begin, out, 0, self):
            total += t
        count = tap_counts(x.shape[2:], kernel, strides, dilations, begin, end, out,
                           bool(self.attr("count_include_pad", 0)), self)
        # a window with no tap on the input (dilated taps all in the padding) is 0, as in
        # onnxruntime and the kernel (f32_pool2d_nhwc), not 0 / 0
        return (np.divide(total, count, out=np.zeros_like(total), where=count > 0).astype(x.dtype),)
