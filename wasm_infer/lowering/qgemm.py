"""com.microsoft QGemm (onnxruntime's quantize_static, QuantFormat.QOperator:
the classifier head of a QOperator CNN) on the uint8 x 8-bit GEMM of
kernels/dynamic_quant.py, byte-exact with ops/op_qgemm.py.

The NumPy op computes in float32 from the exact integer sum
acc = (A - a_zp) @ (B - b_zp) + C:

    scale = alpha * a_scale * b_scale              (per column when b_scale is)
    float output:     acc.astype(f32) * scale
    quantized output: clip(rint(acc.astype(f32) * (scale / y_scale)) + y_zp)

The factor (scale, or scale / y_scale) is computed once here with the op's
own float32 expression and packed as the kernel's b_scale; the kernel gets
a_scale 1.0, so its epilogue float32(acc) * (1 * factor) + (-0.0) is that
product exactly. C is an int32 added before the conversion, which the float
kernel cannot do (its bias is added after the scaling): with C, the int32
kernel gives the sums and C, the conversion and the product follow as NumPy
ufuncs over the M x N outputs (the K-fold work stays on the kernel). The
quantized output's rounding, zero point and saturation are the op's ufuncs
on the float32 products. transA (A would need a transposed copy per run)
and int8 A are left to the NumPy op."""
import numpy as np

from ..ops._contrib_quant import CONTRIB_DOMAIN
from ..ops._quant import INT_RANGES
from .. import dtypes
from . import Lowered, NotApplicable, cached, given, lowering

_U8, _F32, _I32 = np.dtype(np.uint8), np.dtype(np.float32), np.dtype(np.int32)
_BYTES = (np.dtype(np.uint8), np.dtype(np.int8))


def _const(op, specs, i):
    """Input i's constant value (None when absent), or NotApplicable when it is given but not constant."""
    if not given(specs, i):
        return None
    v = op.constant(i)
    return NotApplicable(f"needs a constant input {i} ({op.node.inputs[i]!r})") if v is None else np.asarray(v)


def _factor(op, a_scale, b_scale, y_scale):
    """The op's float32 per-column factor: alpha * a_scale * b_scale, over y_scale when quantized."""
    f32 = np.float32
    scale = op.alpha * f32(np.asarray(a_scale).reshape(())) * np.asarray(b_scale, f32).reshape(-1)
    return scale if y_scale is None else scale / f32(np.asarray(y_scale).reshape(()))


def requantize_into(f, zp, lo, hi, y):
    """ops/_contrib_quant.requantize of the float32 products f (overwritten), ufunc by ufunc, into y."""
    np.rint(f, out=f)
    np.add(f, zp, out=f)
    np.clip(f, lo, hi, out=f)
    np.copyto(y, f.reshape(y.shape), casting="unsafe")


@lowering("QGemm", domain=CONTRIB_DOMAIN, name="qu8 gemm")
def qgemm(op, specs, k):
    a = specs[0]
    if a is None or a[0] is None or a[1] != _U8 or len(a[0]) != 2:
        return NotApplicable("needs a uint8 A [M, K]")
    if op.trans_a:
        return NotApplicable("transA: A would need a transposed copy every run")
    if given(specs, 2) and (specs[2][1] != _U8 or specs[2][0] is None or int(np.prod(specs[2][0])) != 1):
        return NotApplicable("needs a uint8 a_zero_point of one value")
    consts = [_const(op, specs, i) for i in (1, 3, 4, 5, 6, 7, 8)]
    for c in consts:
        if isinstance(c, NotApplicable):
            return c
    a_scale, b, b_scale, b_zero, c, y_scale, y_zero = consts
    if a_scale is None or b is None or b_scale is None:
        return NotApplicable("needs a_scale, B and b_scale")
    if b.dtype not in _BYTES or b.ndim != 2 or 0 in b.shape:
        return NotApplicable("needs int8/uint8 B of rank 2")
    if op.trans_b:
        b = np.ascontiguousarray(b.T)
    kk, n = b.shape
    if kk != a[0][1]:
        return NotApplicable(f"A's K = {a[0][1]} is not B's {kk}")
    if c is not None and (c.dtype != _I32 or c.ndim > 2 or c.size not in (1, n) or (c.size == n and c.shape[-1] != n)):
        return NotApplicable("needs an int32 C of one value or N")
    # The NumPy op sums exactly in float64; the int32 sums here are the same numbers only while they
    # cannot wrap.
    if kk * 255 * 255 + (0 if c is None else int(np.abs(c.astype(np.int64)).max())) >= 2 ** 31:
        return NotApplicable("the sums plus C may not fit an int32")
    factor = cached(op, "qgemm_factor", lambda: np.ascontiguousarray(
        np.broadcast_to(_factor(op, a_scale, b_scale, y_scale), (n,)), _F32))
    # with C the kernel's int32 twin reads no scale: pack 1.0 then
    packed = cached(op, "qu8_gemm_packed", lambda: k.pack_qu8_gemm(
        b, None if b_zero is None else b_zero.reshape(-1), factor if c is None else np.float32(1), None))
    one = cached(op, "qgemm_one", lambda: np.ones((), _F32))
    zero = cached(op, "qu8_gemm_zero", lambda: np.zeros((), _U8))
    m = a[0][0]
    bias = None if c is None else np.broadcast_to(c.reshape(-1), (n,))
    if y_scale is None:
        out_dtype = _F32
    else:
        out_dtype = _U8 if y_zero is None else y_zero.dtype
        lo, hi = INT_RANGES[dtypes.ONNX_OF[out_dtype]]
        zp = np.float32(0 if y_zero is None else int(y_zero.reshape(-1)[0]))

    def bind(ins, outs):
        a_zero = ins[2].reshape(1) if given(specs, 2) else zero
        y = outs[0]
        if c is None and y_scale is None:      # the whole op in the kernel's epilogue
            return k.bind_qu8_gemm(ins[0], one, a_zero, packed, y, kk, n)
        f = y if y_scale is None else np.empty((m, n), _F32)
        if c is None:
            gemm = k.bind_qu8_gemm(ins[0], one, a_zero, packed, f, kk, n)
            product = None
        else:
            acc = np.empty((m, n), _I32)
            gemm = k.bind_qu8_gemm(ins[0], None, a_zero, packed, acc, kk, n)

            def product():
                np.add(acc, bias, out=acc)
                np.multiply(acc, factor, out=f, dtype=_F32, casting="unsafe")

        def run():
            gemm()
            if product is not None:
                product()
            if y_scale is not None:
                requantize_into(f, zp, lo, hi, y)
        run.keep = (gemm,)
        return run
    note = "qu8s8_gemm_4x8c2__wasmsimd" if c is None else "qu8s8_gemm_4x8c2_i32__wasmsimd + numpy epilogue"
    if c is None and y_scale is not None:
        note += " + numpy requantize"
    return Lowered([((m, n), out_dtype)], bind, note)
