"""MaxPool / AveragePool (2-D, no Indices output) in NHWC, made by the
`to_nhwc` pass; attribute `kind` is "MaxPool" or "AveragePool", the others are
the original node's. This runs the original op on an NCHW view (the SIMD
lowering is in lowering/pooling.py). Internal op."""
import numpy as np

from ..ir import Node
from .base import Op, register
from .op_average_pool import AveragePool
from .internal import DOMAIN
from .op_max_pool import MaxPool


class _Nchw:
    def __init__(self, shape):
        self.shape = shape


def nchw_shape(nhwc):
    """Something with the .shape of the NCHW tensor, for pool_geometry."""
    n, h, w, c = nhwc
    return _Nchw((n, c, h, w))


@register("NhwcPool", since=1, domain=DOMAIN)
class NhwcPool(Op):
    def init(self):
        attrs = {k: v for k, v in self.node.attrs.items() if k != "kind"}
        self.kind = self.required_attr("kind")
        cls = MaxPool if self.kind == "MaxPool" else AveragePool
        self.inner = cls(Node(self.kind, self.node.inputs, self.node.outputs, attrs, "", self.node.name), self.ctx)

    def run(self, x):
        (y,) = self.inner.run(x.transpose(0, 3, 1, 2))
        return (np.ascontiguousarray(y.transpose(0, 2, 3, 1)),)
