"""Conv in NHWC (x [N, H, W, C] -> y [N, OH, OW, M]) with the ONNX weights
[M, C/group, KH, KW], an optional bias and a fused clamp: what the `to_nhwc`
pass turns 2-D Conv/FusedConv into. Its SIMD lowering (packed weights,
Winograd, indirect GEMM, depthwise) is in lowering/conv.py; this is the
NumPy reference. Internal op: models never contain it."""
import numpy as np

from ..errors import InputError
from ._conv_shapes import check_padded, conv_geometry
from .base import Op, register
from .op_conv import conv_numpy
from .internal import DOMAIN


@register("NhwcConv", since=1, domain=DOMAIN)
class NhwcConv(Op):
    def init(self):
        self.group = self.attr("group", 1)
        self.lo = float(self.attr("activation_min", -np.inf))
        self.hi = float(self.attr("activation_max", np.inf))

    def run(self, x, w, b=None):
        if x.ndim != 4 or w.ndim != 4 or x.shape[3] != w.shape[1] * self.group or w.shape[0] % self.group:
            raise InputError(f"node {self.node.name!r} (Conv): input {list(x.shape)} (NHWC) does not fit "
                             f"weights {list(w.shape)} with group {self.group}")
        strides, dilations, begin, end, out = conv_geometry(self, x.shape[1:3], list(w.shape[2:]))
        check_padded(self, (x.shape[0], x.shape[3]), x.shape[1:3], begin, end, (x.shape[0], w.shape[0]), out,
                     max(x.dtype.itemsize, 4), w[0].size)
        y = conv_numpy(x.transpose(0, 3, 1, 2), w, b, strides, dilations, begin, end, out, self.group, self)
        if self.lo != -np.inf or self.hi != np.inf:
            y = np.clip(y, self.lo, self.hi).astype(y.dtype)
        return (np.ascontiguousarray(y.transpose(0, 2, 3, 1)),)
