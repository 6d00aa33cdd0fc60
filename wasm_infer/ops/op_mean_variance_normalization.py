import numpy as np

from .base import Op, register
from ._precision import acc_dtype


@register("MeanVarianceNormalization", since=9)
class MeanVarianceNormalization(Op):
    """(x - mean) / (std + 1e-9) over `axes` (default N, H, W), as the
    spec's function body computes it."""
    def run(self, x):
        axes = tuple(int(a) for a in self.attr("axes", [0, 2, 3]))
        xa = x.astype(acc_dtype(x.dtype), copy=False)
        mean = np.mean(xa, axis=axes, keepdims=True)
        var = np.mean(xa * xa, axis=axes, keepdims=True) - mean * mean
        return (((xa - mean) / (np.sqrt(np.maximum(var, 0)) + 1e-9)).astype(x.dtype),)
