import numpy as np

from ._quant import INT_RANGES
from .. import dtypes
from .op_matmul_integer import centred
from ..limits import check_matmul
from .base import Op, register


@register("QLinearMatMul", since=10)
class QLinearMatMul(Op):
    """Quantised matmul: integer product of centred operands, rescaled by
    a_scale * b_scale / y_scale, rounded half to even and saturated."""

    def run(self, a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point):
        check_matmul(self, a.shape, b.shape, 8)      # the product is rescaled in float64
        acc = np.matmul(centred(a, a_zero_point, (-1, 1)), centred(b, b_zero_point, (1, -1)))
        f = np.float64
        a_s, b_s = a_scale.astype(f), b_scale.astype(f)
        if a_s.ndim == 1 and a_s.size > 1:
            a_s = a_s.reshape(-1, 1)
        # Scales may be float16 in opset 21: the ratio is taken in float32 at least.
        ratio = (a_s * b_s / y_scale.astype(f)).astype(np.float32)
        y = acc.astype(f) * ratio.astype(f)
        out = y_zero_point.dtype if y_zero_point is not None else a.dtype
        if y_zero_point is not None:
            y = np.rint(y) + y_zero_point.astype(f)
        lo, hi = INT_RANGES[dtypes.ONNX_OF[np.dtype(out)]]
        return (np.clip(np.rint(y), lo, hi).astype(out),)
