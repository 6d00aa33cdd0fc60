import numpy as np

from .. import dtypes
from ._quant import FLOAT_TARGETS, spread, values
from .base import Op, register


@register("DequantizeLinear", since=10)
class DequantizeLinear(Op):
    """y = (x - zero_point) * scale in the scale's type (or `output_dtype`,
    opset 23). Opset 13 adds per-axis, 19 float8, 21 blocks and int4."""
    handles_exotic = True  # converts exotic dtypes itself (dtypes.cast / to_standard)

    def init(self):
        self.axis = self.attr("axis", 1)
        self.block_size = self.attr("block_size", 0)
        self.output_dtype = self.attr("output_dtype", 0)

    def run(self, x, scale, zero_point=None):
        out = self.output_dtype or dtypes.onnx_type(scale.dtype)
        # float64 holds every int32 difference exactly; one rounding at the end.
        d = values(x).astype(np.float64)
        # Float (float8/float4) zero points must be 0 and are not subtracted.
        if zero_point is not None and dtypes.onnx_type(x.dtype) not in FLOAT_TARGETS:
            d = d - spread(values(zero_point), x.shape, self.axis, self.block_size, "zero point").astype(np.float64)
        y = d * spread(values(scale), x.shape, self.axis, self.block_size).astype(np.float64)
        return (dtypes.cast(y.astype(np.float32) if out != dtypes.DOUBLE else y, out),)
