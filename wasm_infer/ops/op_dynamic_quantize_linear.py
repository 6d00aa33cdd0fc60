import numpy as np

from .base import Op, register


@register("DynamicQuantizeLinear", since=11)
class DynamicQuantizeLinear(Op):
    """uint8 quantisation with scale and zero point taken from the data's
    range, widened to include 0 so that 0 is exactly representable."""

    def run(self, x):
        f32 = np.float32
        hi = f32(max(0.0, float(np.max(x)))) if x.size else f32(0)
        lo = f32(min(0.0, float(np.min(x)))) if x.size else f32(0)
        # Computed in float32, step by step, as the spec's formula is.
        scale = (f32(1) if hi == lo else f32(hi - lo)) / f32(255)
        zp = np.rint(np.clip(f32(0) - lo / scale, 0, 255))
        y = np.clip(np.rint(x / scale) + zp, 0, 255).astype(np.uint8)
        return y, np.array(scale, dtype=x.dtype), np.array(zp, dtype=np.uint8)
