"""y = clip(a @ b + bias, lo, hi) with a constant 2-D b and an optional
constant bias [N]: MatMul + Add and Gemm (transA = 0) rewritten by the
`fuse_matmul_bias` pass, a clamping activation fused by
`fuse_conv_activation`. `a` may have any rank >= 1 (leading axes are rows).
Internal op: models never contain it."""
import numpy as np

from ..errors import InputError
from .base import Op, register
from .op_fused_conv import DOMAIN


@register("FusedMatMul", since=1, domain=DOMAIN)
class FusedMatMul(Op):
    def init(self):
        self.lo = float(self.attr("activation_min", -np.inf))
        self.hi = float(self.attr("activation_max", np.inf))
        self.kernels = self.ctx.kernels
        self.b = self.constant(1)
        bias = self.constant(2)
        self.bias = None if bias is None else np.ascontiguousarray(bias.reshape(-1))
        self.packed = None
        if self.kernels is not None and self.b is not None and self.b.dtype == np.float32 and self.b.ndim == 2 \
                and (self.bias is None or self.bias.dtype == np.float32):
            self.b = np.ascontiguousarray(self.b)
            if hasattr(self.kernels, "pack_gemm"):
                self.packed = self.kernels.pack_gemm(self.b, self.bias)

    def bindable(self, inputs):
        a = inputs[0]
        return (self.kernels is not None and a[0] is not None and len(a[0]) >= 1 and a[1] == np.float32
                and self.b is not None and self.b.dtype == np.float32 and self.b.ndim == 2
                and a[0][-1] == self.b.shape[0] and 0 not in a[0]
                and (self.bias is None or self.bias.dtype == np.float32))

    def bind(self, inputs, outputs):
        k, n = self.b.shape
        a, out = inputs[0].reshape(-1, k), outputs[0].reshape(-1, n)
        if self.packed is not None:
            return self.kernels.bind_gemm_packed(a, self.packed, out, self.lo, self.hi)
        return self.kernels.bind_gemm(a, self.b, self.bias, out, self.lo, self.hi)

    def run(self, a, b, bias=None):
        if a.ndim < 1 or b.ndim != 2 or a.shape[-1] != b.shape[0]:
            raise InputError(f"node {self.node.name!r} (FusedMatMul): cannot multiply {list(a.shape)} "
                             f"by {list(b.shape)}")
        if self.packed is not None and a.dtype == np.float32 and a.size:
            y = np.empty(a.shape[:-1] + (b.shape[1],), np.float32)
            self.bind([np.ascontiguousarray(a)], [y])()
            return (y,)
        y = np.matmul(a, b)
        if bias is not None:
            y = y + bias.reshape(-1)
        if self.lo != -np.inf or self.hi != np.inf:
            y = np.clip(y, self.lo, self.hi)
        return (y.astype(a.dtype, copy=False),)
