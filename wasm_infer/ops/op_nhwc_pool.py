"""MaxPool / AveragePool (2-D, no Indices output) in NHWC, made by the
`to_nhwc` pass; attribute `kind` is "MaxPool" or "AveragePool", the others are
the original node's. The NumPy path runs the original op on an NCHW view.
Internal op."""
import numpy as np

from ..ir import Node
from ._pool import pool_geometry
from .base import Op, register
from .op_average_pool import AveragePool
from .op_fused_conv import DOMAIN
from .op_max_pool import MaxPool


class _Nchw:
    def __init__(self, shape):
        n, h, w, c = shape
        self.shape = (n, c, h, w)


@register("NhwcPool", since=1, domain=DOMAIN)
class NhwcPool(Op):
    def init(self):
        attrs = {k: v for k, v in self.node.attrs.items() if k != "kind"}
        self.kind = self.required_attr("kind")
        cls = MaxPool if self.kind == "MaxPool" else AveragePool
        self.inner = cls(Node(self.kind, self.node.inputs, self.node.outputs, attrs, "", self.node.name), self.ctx)
        self.kernels = self.ctx.kernels

    def bindable(self, inputs):
        x = inputs[0]
        ceil_avg_pad = self.attr("ceil_mode", 0) and self.kind == "AveragePool" and self.attr("count_include_pad", 0)
        return (self.kernels is not None and hasattr(self.kernels, "bind_pool2d_nhwc") and x[0] is not None
                and len(x[0]) == 4 and x[1] == np.float32 and 0 not in x[0] and not ceil_avg_pad)

    def bind(self, inputs, outputs):
        x, out = inputs[0], outputs[0]
        kernel, strides, dilations, begin, end, o = pool_geometry(self.inner, _Nchw(x.shape))
        if self.attr("ceil_mode", 0):
            # windows may reach past pads_end: pad the end by what the last one needs
            end = [max((oo - 1) * s + (k - 1) * d + 1 - i - b, 0)
                   for oo, s, k, d, i, b in zip(o, strides, kernel, dilations, x.shape[1:3], begin)]
        return self.kernels.bind_pool2d_nhwc(
            "max" if self.kind == "MaxPool" else "avg", x, out, kernel, strides,
            (begin[0], begin[1], end[0], end[1]), dilations,
            bool(self.attr("count_include_pad", 0)))

    def run(self, x):
        (y,) = self.inner.run(x.transpose(0, 3, 1, 2))
        return (np.ascontiguousarray(y.transpose(0, 2, 3, 1)),)
