"""GlobalAveragePool in NHWC: x [N, H, W, C] -> [N, 1, 1, C] (the same memory
as the NCHW result [N, C, 1, 1]). Made by the `to_nhwc` pass. Internal op."""
import numpy as np

from .base import Op, register
from .op_fused_conv import DOMAIN


@register("NhwcGlobalAveragePool", since=1, domain=DOMAIN)
class NhwcGlobalAveragePool(Op):
    def init(self):
        self.kernels = self.ctx.kernels

    def bindable(self, inputs):
        x = inputs[0]
        return (self.kernels is not None and hasattr(self.kernels, "bind_global_avg_pool_nhwc")
                and x[0] is not None and len(x[0]) == 4 and x[1] == np.float32 and 0 not in x[0])

    def bind(self, inputs, outputs):
        return self.kernels.bind_global_avg_pool_nhwc(inputs[0], outputs[0])

    def run(self, x):
        if self.bindable([(x.shape, x.dtype)]):
            y = np.empty((x.shape[0], 1, 1, x.shape[3]), np.float32)
            self.bind([np.ascontiguousarray(x)], [y])()
            return (y,)
        return (np.mean(x, axis=(1, 2), keepdims=True, dtype=np.float64 if x.dtype == np.float64 else None)
                .astype(x.dtype),)
