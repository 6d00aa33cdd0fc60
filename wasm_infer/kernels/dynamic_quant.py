"""Dynamic quantization binders (onnxruntime's quantize_dynamic): the
activation's DynamicQuantizeLinear, and the uint8 x 8-bit GEMM with the
dequantization and bias in its epilogue.

  bind_qu8_quantize_dynamic(x, y, scale, zero)
      x float32 (C-contiguous, any shape), y uint8 of x's shape, scale a
      float32 and zero a uint8 array of one element: DynamicQuantizeLinear
      (ops/op_dynamic_quantize_linear.py), byte-exact; y, scale and zero
      overlap neither x nor each other.
  pack_qu8_gemm(b, b_zero_point, b_scale, bias) -> int16 [panels, 32 + 8 * kk8]
      b int8 or uint8 [K, N]; b_zero_point None, one value or [N] of b's
      dtype; b_scale float32, one value or [N]; bias float32 [N] or None.
      The scales, the bias and B - b_zero_point as int16, per panel of 8
      columns (kernels_wasm/qu8s8_gemm_4x8c2__wasmsimd.c).
  bind_qu8_gemm(a, a_scale, a_zero, packed, out, k, n, mb=None)
      a uint8 [..., K] C-contiguous, a_scale float32 and a_zero uint8 of one
      element, packed from pack_qu8_gemm for (k, n), out float32 [..., N]
      C-contiguous with a's leading shape, disjoint from every input:
      out = float32((a - a_zero) @ (b - b_zero)) * (a_scale * b_scale) + bias;
      with a_scale None, out is int32 [..., N] = (a - a_zero) @ (b - b_zero)
      (MatMulInteger; the packed scales and bias are not read).
      The kernel centres mb rows of a at a time into an int16 scratch buffer
      that the binders share (mb: about QU8_SCRATCH_VALUES values, at least
      4 rows, unless given).
"""
import numpy as np

from .checks import _INT32_LIMIT, _bound, _check_out, _span
from .loader import _func
from .packing import pack_k_pairs

_F32, _U8, _I16 = np.dtype(np.float32), np.dtype(np.uint8), np.dtype(np.int16)
_BYTES = (np.dtype(np.uint8), np.dtype(np.int8))
_HEADER = 32            # int16 per panel before the weights: 8 float32 scales, 8 float32 biases
# int16 values of centred rows of a per chunk (512 KiB: L2-sized); MiniLM's
# 128 x 1536 fits in one.
QU8_SCRATCH_VALUES = 262144


def _kk8(k):
    return (k + 7) & ~7


def _array(arr, name, what, dtype, size=None):
    if not isinstance(arr, np.ndarray) or arr.dtype != dtype or not arr.flags.c_contiguous:
        raise ValueError(f"{what}: {name} must be a C-contiguous {np.dtype(dtype)} array, got "
                         f"{getattr(arr, 'dtype', type(arr).__name__)}")
    if size is not None and arr.size != size:
        raise ValueError(f"{what}: {name} must have {size} element(s), got shape {arr.shape}")


def _disjoint(what, outs, ins):
    """Every out writable and overlapping no other out and no input."""
    spans = [(name, _span(arr.ctypes.data, arr)) for name, arr in ins]
    for name, arr in outs:
        if not arr.flags.writeable:
            raise ValueError(f"{what}: {name} is read-only")
        try:
            _check_out(arr, _span(arr.ctypes.data, arr), spans)
        except ValueError as e:
            raise ValueError(f"{what}: {name}: {e}") from None
        spans.append((name, _span(arr.ctypes.data, arr)))


def bind_qu8_quantize_dynamic(x, y, scale, zero):
    what = "qu8_quantize_dynamic"
    _array(x, "x", what, _F32)
    _array(y, "y", what, _U8)
    _array(scale, "scale", what, _F32, 1)
    _array(zero, "zero", what, _U8, 1)
    if y.shape != x.shape:
        raise ValueError(f"{what}: x and y must have one shape, got {x.shape} and {y.shape}")
    if x.size >= _INT32_LIMIT:
        raise ValueError(f"{what}: {x.size} values is too many for the kernel")
    _disjoint(what, (("y", y), ("scale", scale), ("zero", zero)), (("x", x),))
    f = _func("qu8_vquantize_dynamic__wasmsimd")
    return _bound([(f, (x.ctypes.data, x.size, y.ctypes.data, scale.ctypes.data, zero.ctypes.data))],
                  (x, y, scale, zero))


def _per_column(v, n, name, dtype):
    v = np.asarray(v)
    if v.dtype != dtype or v.size not in (1, n) or v.ndim > 1:
        raise ValueError(f"pack_qu8_gemm: {name} must be {np.dtype(dtype)}, one value or [{n}], got "
                         f"{v.dtype} {v.shape}")
    return np.broadcast_to(v.reshape(-1), (n,))


def pack_qu8_gemm(b, b_zero_point, b_scale, bias):
    b = np.asarray(b)
    if b.dtype not in _BYTES or b.ndim != 2:
        raise ValueError(f"pack_qu8_gemm: b must be int8 or uint8 [K, N], got {b.dtype} {b.shape}")
    k, n = b.shape
    if k * 255 * 255 >= _INT32_LIMIT * 2 ** 10 or n >= _INT32_LIMIT // 8:
        raise ValueError(f"pack_qu8_gemm: b of shape {b.shape} is too large for the kernel")
    zp = np.zeros(n, b.dtype) if b_zero_point is None else _per_column(b_zero_point, n, "b_zero_point", b.dtype)
    scale = _per_column(b_scale, n, "b_scale", _F32)
    bias = np.full(n, -0.0, np.float32) if bias is None else _per_column(bias, n, "bias", _F32)
    panels, kk8 = (n + 7) // 8, _kk8(k)
    wc = np.zeros((panels * 8, kk8), np.int16)                    # column-major: a column's k, k + 1 adjacent
    wc[:n, :k] = b.T.astype(np.int16) - zp.astype(np.int16)[:, None]
    packed = np.zeros((panels, _HEADER + 8 * kk8), np.int16)
    header = packed[:, :_HEADER].view(np.float32)                # [panels, 16]
    sc, bi = np.zeros(panels * 8, np.float32), np.full(panels * 8, -0.0, np.float32)
    sc[:n], bi[:n] = scale, bias
    header[:, 0:8] = sc.reshape(panels, 8)
    header[:, 8:16] = bi.reshape(panels, 8)
    pack_k_pairs(wc, packed[:, _HEADER:])     # [panel, r, half, column, k in pair]
    return packed


_scratch = [np.zeros(1, np.int16)]


def _shared_scratch(size):
    """An int16 buffer of at least `size` values, shared by the binders: a
    kernel uses it only during its call and calls never overlap (one thread),
    so the 37 GEMMs of a MiniLM need one, not 37. A binder keeps the buffer it
    got alive; a larger request replaces the shared one for later binders."""
    if _scratch[0].size < size:
        _scratch[0] = np.zeros(size, np.int16)
    return _scratch[0]


def bind_qu8_gemm(a, a_scale, a_zero, packed, out, k, n, mb=None):
    """out float32, or int32 with a_scale None (MatMulInteger: the accumulators)."""
    what = "qu8_gemm"
    _array(a, "a", what, _U8)
    if a_scale is not None:
        _array(a_scale, "a_scale", what, _F32, 1)
    _array(a_zero, "a_zero", what, _U8, 1)
    _array(out, "out", what, _F32 if a_scale is not None else np.dtype(np.int32))
    k, n = int(k), int(n)
    if k < 0 or n < 1:
        raise ValueError(f"{what}: k = {k} and n = {n} must be >= 0 and >= 1")
    if not isinstance(packed, np.ndarray) or packed.dtype != _I16 or not packed.flags.c_contiguous or \
            packed.shape != ((n + 7) // 8, _HEADER + 8 * _kk8(k)):
        raise ValueError(f"{what}: packed must be the int16 array pack_qu8_gemm made for k = {k}, n = {n}, got "
                         f"{getattr(packed, 'dtype', type(packed).__name__)} {getattr(packed, 'shape', '')}")
    if a.ndim < 1 or a.shape[-1] != k or out.shape != a.shape[:-1] + (n,):
        raise ValueError(f"{what}: a must be [..., {k}] and out [..., {n}] with a's leading shape, got "
                         f"{a.shape} and {out.shape}")
    m = a.size // k if k else int(np.prod(a.shape[:-1]))
    if m >= _INT32_LIMIT // max(n, k, 1):
        raise ValueError(f"{what}: a of shape {a.shape} is too large for the kernel")
    ins = (("a", a), ("a_zero", a_zero), ("packed", packed)) + ((("a_scale", a_scale),) if a_scale is not None else ())
    _disjoint(what, (("out", out),), ins)
    if m == 0:
        return _bound([], (a, a_scale, a_zero, packed, out))
    kk8 = _kk8(k)
    if mb is None:
        mb = max(4, QU8_SCRATCH_VALUES // max(kk8, 1) // 4 * 4)
    mb = min(int(mb), m)
    if mb < 1:
        raise ValueError(f"{what}: mb = {mb} must be >= 1")
    scratch = _shared_scratch(mb * kk8)
    if a_scale is None:
        f = _func("qu8s8_gemm_4x8c2_i32__wasmsimd")
        args = (m, n, k, a.ctypes.data, k, a_zero.ctypes.data, packed.ctypes.data, out.ctypes.data, n,
                scratch.ctypes.data, mb)
    else:
        f = _func("qu8s8_gemm_4x8c2__wasmsimd")
        args = (m, n, k, a.ctypes.data, k, a_scale.ctypes.data, a_zero.ctypes.data, packed.ctypes.data,
                out.ctypes.data, n, scratch.ctypes.data, mb)
    return _bound([(f, args)], (a, a_scale, a_zero, packed, out, scratch))
