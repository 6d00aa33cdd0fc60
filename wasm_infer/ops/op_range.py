import math

import numpy as np

from ..limits import check_output
from .base import Op, register


@register("Range", since=11)
class Range(Op):
    """start + i * delta for i < max(ceil((limit - start) / delta), 0), in
    start's type. float16 (and bfloat16, widened by the runner) compute in
    float32 and round once: opset 27's stash_type default; earlier opsets
    leave the precision open, and float16 steps would drift."""
    def init(self):
        self.stash = {1: np.float32, 11: np.float64}.get(self.attr("stash_type", 1), np.float32)

    def run(self, start, limit, delta):
        dtype = start.dtype
        s, l, d = start.item(), limit.item(), delta.item()
        if np.issubdtype(dtype, np.integer):
            n = max(-((s - l) // d), 0) if d else 0  # exact ceil division, even for huge int64
            check_output(self, (n,), 8)
            return ((s + np.arange(n, dtype=np.int64) * d).astype(dtype),)
        n = max(math.ceil((l - s) / d), 0) if d else 0
        check_output(self, (n,), 8)
        work = self.stash if dtype.itemsize < 4 else dtype
        work = np.dtype(work).type
        out = np.arange(n, dtype=work) * work(d) + work(s)
        return (out.astype(dtype),)
