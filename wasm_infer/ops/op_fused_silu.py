"""SiLU written out as x * Sigmoid(x) (YOLOv5/v8, EfficientNet exports), found
by the `fuse_silu` pass: one input x, y = x * sigmoid(x), computed as the two
ops it stands for compute it (Sigmoid, then Mul in the input's dtype).
Internal op: models never contain it."""
from .base import Op, register
from .internal import DOMAIN
from .op_sigmoid import Sigmoid


@register("FusedSilu", since=1, domain=DOMAIN)
class FusedSilu(Op):
    layout = "elementwise_unary"
    inplace = (0,)

    def run(self, x):
        return ((x * Sigmoid.run(self, x)[0]).astype(x.dtype, copy=False),)
