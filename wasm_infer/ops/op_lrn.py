import numpy as np

from .base import Op, register
from ._precision import acc_dtype


@register("LRN", since=1)
class LRN(Op):
    """y = x / (bias + alpha / size * sum of x^2 over the channel window
    [c - floor((size-1)/2), c + ceil((size-1)/2)]) ^ beta."""
    def run(self, x):
        size = int(self.required_attr("size"))
        alpha = float(self.attr("alpha", 1e-4))
        beta = float(self.attr("beta", 0.75))
        bias = float(self.attr("bias", 1.0))
        xa = x.astype(acc_dtype(x.dtype), copy=False)
        c = x.shape[1]
        # the window's reach on each side, but never past the other end of the channels (what lies
        # beyond is zero): a size of 2**20 in the model padded and summed 2**20 channels
        lo, hi = min((size - 1) // 2, c - 1), min(size - 1 - (size - 1) // 2, c - 1)
        sq = np.pad(xa * xa, [(0, 0), (max(lo, 0), max(hi, 0))] + [(0, 0)] * (x.ndim - 2))
        total = sum(sq[:, i:i + c] for i in range(max(lo + hi + 1, 1)))
        return ((xa / (bias + alpha / size * total) ** beta).astype(x.dtype),)
