import numpy as np

from .. import dtypes
from ..errors import InputError, UnsupportedError
from ._quant import FLOAT_TARGETS, INT_RANGES, saturate_int, spread, values
from .base import Op, register


@register("QuantizeLinear", since=10)
class QuantizeLinear(Op):
    """y = saturate(round(x / scale) + zero_point). Opset 13 adds per-axis,
    19 float8 and `saturate`, 21 blocks, int4 and `output_dtype`, 23
    `precision` (the type the division happens in); one class reads them all."""
    handles_exotic = True  # converts exotic dtypes itself (dtypes.cast / to_standard)

    def init(self):
        self.axis = self.attr("axis", 1)
        self.block_size = self.attr("block_size", 0)
        self.output_dtype = self.attr("output_dtype", 0)
        self.saturate = self.attr("saturate", 1)
        self.precision = self.attr("precision", 0)

    def _target(self, zero_point):
        if zero_point is None:
            return self.output_dtype or dtypes.UINT8
        zp_type = dtypes.onnx_type(zero_point.dtype)
        if self.output_dtype and zp_type != self.output_dtype:
            raise InputError(f"node {self.node.name!r} (QuantizeLinear): zero point type "
                             f"{dtypes.NAMES.get(zp_type)} differs from output_dtype "
                             f"{dtypes.NAMES.get(self.output_dtype)}")
        return zp_type

    def run(self, x, scale, zero_point=None):
        target = self._target(zero_point)
        if target not in INT_RANGES and target not in FLOAT_TARGETS:
            raise UnsupportedError(f"node {self.node.name!r} (QuantizeLinear): output type "
                                   f"{dtypes.NAMES.get(target, target)} is not supported")
        x, scale = values(x), spread(values(scale), x.shape, self.axis, self.block_size)
        if self.precision:
            work = dtypes.to_numpy(self.precision)
            q = x.astype(work) / scale.astype(work)
        else:
            # Divide in the input's own type, as the reference does (float16 stays float16).
            q = x / scale.astype(np.result_type(x.dtype, scale.dtype))
        zp = None if zero_point is None else spread(values(zero_point), x.shape, self.axis,
                                                    self.block_size, "zero point")
        if target in FLOAT_TARGETS:
            # float8 zero points are 0 by definition; float4's is added as a value.
            if zp is not None and target == dtypes.FLOAT4E2M1:
                q = q + zp
            return (dtypes.cast(q, target, saturate=bool(self.saturate)),)
        q = np.rint(q).astype(np.float64)
        if zp is not None:
            q = q + zp
        return (saturate_int(q, target),)
