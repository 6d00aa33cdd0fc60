"""Conv in NHWC (x [N, H, W, C] -> y [N, OH, OW, M]) with the ONNX weights
[M, C/group, KH, KW], an optional bias and a fused clamp: what the `to_nhwc`
pass turns 2-D Conv/FusedConv into. Weights are packed for the kernels once,
here, at session creation. Internal op: models never contain it."""
import numpy as np

from ..errors import InputError
from ._conv_shapes import conv_geometry
from .base import Op, register
from .op_conv import conv_numpy
from .op_fused_conv import DOMAIN


@register("NhwcConv", since=1, domain=DOMAIN)
class NhwcConv(Op):
    def init(self):
        self.group = self.attr("group", 1)
        self.lo = float(self.attr("activation_min", -np.inf))
        self.hi = float(self.attr("activation_max", np.inf))
        self.kernels = self.ctx.kernels
        self.w, self.b = self.constant(1), self.constant(2)
        self.packed, self.winograd = None, False
        if self.kernels is not None and hasattr(self.kernels, "pack_conv2d_nhwc") and self.w is not None \
                and self.w.dtype == np.float32 and self.w.ndim == 4 and \
                (len(self.node.inputs) < 3 or not self.node.inputs[2] or self.b is not None):
            strides = tuple(self.attr("strides", None) or (1, 1))
            dilations = tuple(self.attr("dilations", None) or (1, 1))
            self.winograd = (hasattr(self.kernels, "winograd_applies") and
                             self.kernels.winograd_applies(self.w.shape, strides, dilations, self.group))
            if self.winograd:
                self.packed = self.kernels.pack_conv2d_nhwc_winograd(self.w, self.b)
            else:
                self.packed = self.kernels.pack_conv2d_nhwc(self.w, self.b, self.group)

    def _bind(self, x, y, strides, pads, dilations):
        if self.winograd:
            return self.kernels.bind_conv2d_nhwc_winograd(x, self.packed, y, pads, self.lo, self.hi)
        return self.kernels.bind_conv2d_nhwc(x, self.packed, y, self.w.shape[2:], strides, pads, dilations,
                                             self.group, self.lo, self.hi)

    def _geometry(self, x_shape, w_shape):
        n, h, w, c = x_shape
        if c != w_shape[1] * self.group or w_shape[0] % self.group:
            raise InputError(f"node {self.node.name!r} (Conv): input {list(x_shape)} (NHWC) does not fit "
                             f"weights {list(w_shape)} with group {self.group}")
        strides, dilations, begin, end, out = conv_geometry(self, (h, w), list(w_shape[2:]))
        return strides, dilations, begin + end, out

    def bindable(self, inputs):
        x = inputs[0]
        return (self.packed is not None and x[0] is not None and len(x[0]) == 4 and x[1] == np.float32
                and 0 not in x[0] and x[0][3] == self.w.shape[1] * self.group)

    def bind(self, inputs, outputs):
        x = inputs[0]
        strides, dilations, pads, _ = self._geometry(x.shape, self.w.shape)
        return self._bind(x, outputs[0], strides, pads, dilations)

    def run(self, x, w, b=None):
        if x.ndim != 4 or w.ndim != 4:
            raise InputError(f"node {self.node.name!r} (Conv): NHWC conv needs 4-D input and weights, "
                             f"got {list(x.shape)} and {list(w.shape)}")
        strides, dilations, pads, out = self._geometry(x.shape, w.shape)
        if self.packed is not None and x.dtype == np.float32 and x.size:
            y = np.empty((x.shape[0], *out, w.shape[0]), np.float32)
            self._bind(np.ascontiguousarray(x), y, strides, pads, dilations)()
            return (y,)
        y = conv_numpy(x.transpose(0, 3, 1, 2), w, b, strides, dilations, pads[:2], pads[2:], out, self.group)
        if self.lo != -np.inf or self.hi != np.inf:
            y = np.clip(y, self.lo, self.hi).astype(y.dtype)
        return (np.ascontiguousarray(y.transpose(0, 2, 3, 1)),)
