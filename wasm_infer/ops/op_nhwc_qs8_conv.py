"""NhwcQS8Conv: QS8Conv (ops/op_qs8_conv.py) on channels-last tensors, x
[N, H, W, C] -> y [N, OH, OW, M], same inputs and attributes; what to_nhwc
makes of QS8Conv for the SIMD path. NumPy reference; the fast path is in
lowering/qs8.py. Internal op: models never contain it."""
import numpy as np

from .base import register
from .internal import DOMAIN
from .op_qs8_conv import QS8ConvBase


@register("NhwcQS8Conv", since=1, domain=DOMAIN)
class NhwcQS8Conv(QS8ConvBase):
    def run(self, x, w, bias=None, scale=None):
        y = self.compute(x.transpose(0, 3, 1, 2), w, bias, scale)
        return (np.ascontiguousarray(y.transpose(0, 2, 3, 1)),)
