"""y = clip(a @ b + bias, lo, hi) with a constant 2-D b and an optional
constant bias [N]: MatMul + Add and Gemm (transA = 0) rewritten by the
`fuse_matmul_bias` pass, a clamping activation fused by
`fuse_conv_activation`. `a` may have any rank >= 1 (leading axes are rows).
Internal op: models never contain it."""
import numpy as np

from ..errors import InputError
from ..limits import check_matmul
from .base import Op, register
from .internal import DOMAIN


@register("FusedMatMul", since=1, domain=DOMAIN)
class FusedMatMul(Op):
    def init(self):
        self.lo = float(self.attr("activation_min", -np.inf))
        self.hi = float(self.attr("activation_max", np.inf))

    def run(self, a, b, bias=None):
        if a.ndim < 1 or b.ndim != 2 or a.shape[-1] != b.shape[0]:
            raise InputError(f"node {self.node.name!r} (FusedMatMul): cannot multiply {list(a.shape)} "
                             f"by {list(b.shape)}")
        check_matmul(self, a.shape, b.shape, a.dtype.itemsize)
        y = np.matmul(a, b)
        if bias is not None:
            y = y + bias.reshape(-1)
        if self.lo != -np.inf or self.hi != np.inf:
            y = np.clip(y, self.lo, self.hi)
        return (y.astype(a.dtype, copy=False),)
