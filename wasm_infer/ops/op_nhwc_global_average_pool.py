"""GlobalAveragePool in NHWC: x [N, H, W, C] -> [N, 1, 1, C] (the same memory
as the NCHW result [N, C, 1, 1]). Made by the `to_nhwc` pass. Internal op."""
import numpy as np

from .base import Op, register
from .internal import DOMAIN


@register("NhwcGlobalAveragePool", since=1, domain=DOMAIN)
class NhwcGlobalAveragePool(Op):
    def run(self, x):
        return (np.mean(x, axis=(1, 2), keepdims=True, dtype=np.float64 if x.dtype == np.float64 else None)
                .astype(x.dtype),)
