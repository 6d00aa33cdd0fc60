import numpy as np

from ..limits import check_matmul
from .base import Op, register


def centred(x, zero_point, axis_shape=None):
    """x - zero_point in int32; a 1-D zero point is laid along `axis_shape`."""
    x = x.astype(np.int32)
    if zero_point is None:
        return x
    zp = zero_point.astype(np.int32)
    if zp.ndim == 1 and zp.size > 1 and axis_shape is not None:
        zp = zp.reshape(axis_shape)
    return x - zp


@register("MatMulInteger", since=10)
class MatMulInteger(Op):
    """int32 matmul of zero-point-centred int8/uint8 operands. A 1-D
    zero point is per row of A (M) or per column of B (N)."""

    def run(self, a, b, a_zero_point=None, b_zero_point=None):
        check_matmul(self, a.shape, b.shape, 4)
        a32 = centred(a, a_zero_point, (-1, 1))
        b32 = centred(b, b_zero_point, (1, -1))
        return (np.matmul(a32, b32).astype(np.int32),)
