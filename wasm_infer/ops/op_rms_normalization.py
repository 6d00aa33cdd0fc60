import numpy as np

from .base import Op, register
from ._norm import stash_dtype


@register("RMSNormalization", since=23)
class RMSNormalization(Op):
    """y = x / sqrt(mean(x^2 over axes [axis, rank)) + eps) * scale."""
    def run(self, x, scale):
        axis = int(self.attr("axis", -1)) % x.ndim
        xs = x.astype(stash_dtype(self, x), copy=False)
        ms = np.mean(xs * xs, axis=tuple(range(axis, x.ndim)), keepdims=True)
        y = xs / np.sqrt(ms + float(self.attr("epsilon", 1e-5))) * scale.astype(xs.dtype)
        return (y.astype(x.dtype),)
