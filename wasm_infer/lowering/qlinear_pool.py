"""com.microsoft QLinearGlobalAveragePool (channels_last = 0, uint8) on the
int32 twin of the qu8 GEMM kernel, byte-exact with
ops/op_qlinear_global_average_pool.py: X [batch, C, spatial...] read as
A [batch * C, S] times a constant column of S ones, the kernel centring A
by x_zero_point, gives each channel's exact sum of X - x_zero_point (at
most S * 255: no int32 wrap). The op's float32 ratio
x_scale / (y_scale * S) and its requantization follow as NumPy ufuncs over
the batch * C sums. channels_last = 1 (the sum runs down the columns of A)
and int8 X are left to the NumPy op."""
import numpy as np

from .. import dtypes
from ..ops._contrib_quant import CONTRIB_DOMAIN, scalar
from ..ops._quant import INT_RANGES
from . import Lowered, NotApplicable, cached, given, lowering, size
from .qgemm import requantize_into

_U8, _F32, _I32 = np.dtype(np.uint8), np.dtype(np.float32), np.dtype(np.int32)


@lowering("QLinearGlobalAveragePool", domain=CONTRIB_DOMAIN, name="qu8 gemm int32 (sums)")
def qlinear_global_average_pool(op, specs, k):
    x = specs[0]
    if x is None or x[0] is None or x[1] != _U8 or len(x[0]) < 3 or 0 in x[0]:
        return NotApplicable("needs a non-empty uint8 X of rank >= 3")
    if op.channels_last:
        return NotApplicable("channels_last: the sums would run down the columns")
    if given(specs, 2) and (specs[2][1] != _U8 or specs[2][0] is None or size(specs[2][0]) != 1):
        return NotApplicable("needs a uint8 x_zero_point of one value")
    x_scale, y_scale = (op.constant(i) if given(specs, i) else None for i in (1, 3))
    y_zero = op.constant(4) if given(specs, 4) else None
    if x_scale is None or y_scale is None or (given(specs, 4) and y_zero is None):
        return NotApplicable("needs constant x_scale, y_scale and y_zero_point")
    if y_zero is not None and np.asarray(y_zero).dtype != _U8:
        return NotApplicable("needs a uint8 y_zero_point")
    rows, s = x[0][0] * x[0][1], size(x[0][2:])
    if s * 255 >= 2 ** 31:
        return NotApplicable("too many spatial positions for an int32 sum")
    f32 = np.float32
    ratio = f32(scalar(x_scale)) / (f32(scalar(y_scale)) * f32(s))      # the op's expression
    zp = f32(int(scalar(y_zero)))
    lo, hi = INT_RANGES[dtypes.ONNX_OF[_U8]]
    packed = cached(op, "qu8_gemm_ones", lambda: k.pack_qu8_gemm(np.ones((s, 1), _U8), None, f32(1), None))
    zero = cached(op, "qu8_gemm_zero", lambda: np.zeros((), _U8))
    out_shape = tuple(x[0][:2]) + (1,) * (len(x[0]) - 2)

    def bind(ins, outs):
        if not ins[0].flags.c_contiguous:      # a reshaped copy would leave the kernel reading stale bytes
            raise ValueError("QLinearGlobalAveragePool: X must be C-contiguous")
        acc, f = np.empty((rows, 1), _I32), np.empty((rows, 1), _F32)
        a_zero = ins[2].reshape(1) if given(specs, 2) else zero
        gemm = k.bind_qu8_gemm(ins[0].reshape(rows, s), None, a_zero, packed, acc, s, 1)
        y = outs[0]

        def run():
            gemm()
            np.multiply(acc, ratio, out=f, dtype=_F32, casting="unsafe")
            requantize_into(f, zp, lo, hi, y)
        run.keep = (gemm,)
        return run
    return Lowered([(out_shape, _U8)], bind, "qu8s8_gemm_4x8c2_i32__wasmsimd + numpy requantize")
