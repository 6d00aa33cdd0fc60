"""y = clip((x - mean) / sqrt(var + epsilon) * scale + bias, lo, hi), mean
and var over the last axis: the layer normalization that exporters write out
as ReduceMean/Sub/Mul/ReduceMean/Add/Sqrt/Div (+ Mul/Add by constants),
found by the `fuse_layer_norm` pass, with an optional clamp that
`fuse_conv_activation` adds. scale and bias are optional. Computed here in
the input's dtype, step by step as the nodes it replaces did, so the NumPy
path gives their results. Internal op: models never contain it."""
import numpy as np

from .base import Op, register
from .internal import DOMAIN


@register("FusedLayerNorm", since=1, domain=DOMAIN)
class FusedLayerNorm(Op):
    def init(self):
        self.epsilon = float(self.attr("epsilon", 1e-5))
        self.lo = float(self.attr("activation_min", -np.inf))
        self.hi = float(self.attr("activation_max", np.inf))

    def run(self, x, scale=None, bias=None):
        with np.errstate(divide="ignore", invalid="ignore"):
            d = x - np.mean(x, axis=-1, keepdims=True)
            y = d / np.sqrt(np.mean(d * d, axis=-1, keepdims=True) + x.dtype.type(self.epsilon))
        if scale is not None:
            y = y * scale
        if bias is not None:
            y = y + bias
        if self.lo != -np.inf or self.hi != np.inf:
            y = np.clip(y, self.lo, self.hi)
        return (y.astype(x.dtype, copy=False),)
