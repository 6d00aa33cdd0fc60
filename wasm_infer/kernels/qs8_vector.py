"""int8 (QS8) elementwise binders: the add with requantization, the
quantization of float32 and the dequantization back (QuantizeLinear and
DequantizeLinear with a per-tensor scale).

  qs8_add_params(a_zero_point, a_signed, b_zero_point, b_signed, y_zero_point, out_min, out_max,
                 y_signed, a_ratio, b_ratio) -> int32 [10]
      the kernel's parameter block (the two ratios as float32 bits); zero
      points and the output range must lie in their types' ranges, the ratios
      must be positive and finite.
  bind_qs8_add(a, b, out, params)
      a, b, out: C-contiguous uint8/int8 arrays of one shape (no broadcasting),
      the dtypes the params say; out is a or b exactly, or overlaps neither.
      y = clamp(rint(float32(a - za) * a_ratio + float32(b - zb) * b_ratio),
      out_min - zy, out_max - zy) + zy, in float32 (ops/op_qs8_add.py).
  qs8_quantize_params(y_zero_point, out_min, out_max, y_signed, scale) -> int32 [8]
  bind_qs8_quantize(x, out, params)
      x float32, out uint8/int8 (params say which), one shape, C-contiguous:
      out = clamp(rint(x / scale), out_min - zy, out_max - zy) + zy, the
      division in float32 (ops/op_quantize_linear.py); NaN gives zy.
  qs8_dequantize_params(x_zero_point, x_signed, scale) -> int32 [8]
  bind_qs8_dequantize(x, out, params)
      x uint8/int8 (params say which), out float32, one shape, C-contiguous:
      out = float32(x - zx) * scale, the bits of ops/op_dequantize_linear.py.
"""
import numpy as np

from .checks import _bound, _check_out, _nothing, _same_or_disjoint, _span
from .loader import _func

_BYTES = (np.dtype(np.uint8), np.dtype(np.int8))


def _range(signed):
    return (-128, 127) if signed else (0, 255)


def qs8_add_params(a_zero_point, a_signed, b_zero_point, b_signed, y_zero_point, out_min, out_max, y_signed,
                   a_ratio, b_ratio):
    (alo, ahi), (blo, bhi), (ylo, yhi) = _range(a_signed), _range(b_signed), _range(y_signed)
    if not (alo <= a_zero_point <= ahi and blo <= b_zero_point <= bhi and ylo <= y_zero_point <= yhi and
            ylo <= out_min <= out_max <= yhi):
        raise ValueError(f"qs8 add params: zero points {a_zero_point}, {b_zero_point}, {y_zero_point} or output "
                         f"range [{out_min}, {out_max}] outside the types' ranges")
    ratios = np.array([a_ratio, b_ratio], np.float32)
    if not (np.isfinite(ratios).all() and (ratios > 0).all()):
        raise ValueError(f"qs8 add params: ratios must be positive and finite, got {ratios.tolist()}")
    p = np.array([a_zero_point, int(bool(a_signed)), b_zero_point, int(bool(b_signed)), y_zero_point, out_min,
                  out_max, int(bool(y_signed)), 0, 0], np.int32)
    p[8:] = ratios.view(np.int32)
    return p


def bind_qs8_add(a, b, out, params):
    what = "qs8_add"
    for arr, name in ((a, "a"), (b, "b"), (out, "out")):
        if not isinstance(arr, np.ndarray) or arr.dtype not in _BYTES or not arr.flags.c_contiguous:
            raise ValueError(f"{what}: {name} must be a C-contiguous uint8 or int8 array, got "
                             f"{getattr(arr, 'dtype', type(arr).__name__)}")
    if not isinstance(params, np.ndarray) or params.dtype != np.int32 or params.shape != (10,):
        raise ValueError(f"{what}: params must be the int32 [10] array of qs8_add_params")
    for arr, name, flag in ((a, "a", 1), (b, "b", 3), (out, "out", 7)):
        if bool(params[flag]) != (arr.dtype == np.int8):
            raise ValueError(f"{what}: params say {'int8' if params[flag] else 'uint8'} {name}, got {arr.dtype}")
    if a.shape != b.shape or out.shape != a.shape:
        raise ValueError(f"{what}: a, b and out must have one shape, got {a.shape}, {b.shape}, {out.shape}")
    if not out.flags.writeable:
        raise ValueError(f"{what}: out is read-only")
    _same_or_disjoint(out, a, "a")
    _same_or_disjoint(out, b, "b")
    if out.size == 0:
        return _nothing
    f = _func("qs8_vadd_minmax__wasmsimd")
    return _bound([(f, (a.ctypes.data, b.ctypes.data, out.ctypes.data, out.size, params.ctypes.data))],
                  (a, b, out, params))


def _scale_bits(scale, what):
    """The per-tensor scale as the int32 bits of a positive, finite float32."""
    s = np.array([scale], np.float32)
    if not (np.isfinite(s).all() and (s > 0).all()):
        raise ValueError(f"{what}: the scale must be positive and finite, got {s[0]}")
    return s.view(np.int32)[0]


def qs8_quantize_params(y_zero_point, out_min, out_max, y_signed, scale):
    ylo, yhi = _range(y_signed)
    if not ylo <= y_zero_point <= yhi or not ylo <= out_min <= out_max <= yhi:
        raise ValueError(f"qs8 quantize params: zero point {y_zero_point} or output range [{out_min}, {out_max}] "
                         "outside the type's range")
    bits = _scale_bits(scale, "qs8 quantize params")
    return np.array([y_zero_point, out_min, out_max, int(bool(y_signed)), bits, 0, 0, 0], np.int32)


def bind_qs8_quantize(x, out, params):
    return _bind_convert("qs8_quantize", "qs8_vquantize__wasmsimd", x, out, params, signed=(out, "out", 3))


def qs8_dequantize_params(x_zero_point, x_signed, scale):
    xlo, xhi = _range(x_signed)
    if not xlo <= x_zero_point <= xhi:
        raise ValueError(f"qs8 dequantize params: zero point {x_zero_point} outside the type's range")
    bits = _scale_bits(scale, "qs8 dequantize params")
    return np.array([x_zero_point, int(bool(x_signed)), bits, 0, 0, 0, 0, 0], np.int32)


def bind_qs8_dequantize(x, out, params):
    return _bind_convert("qs8_dequantize", "qs8_vdequantize__wasmsimd", x, out, params, signed=(x, "x", 1))


def _bind_convert(what, kernel, x, out, params, signed):
    """QuantizeLinear / DequantizeLinear of one tensor: float32 one way, uint8/int8 the
    other (`signed`: that array, its name, and the params slot saying whether it is int8)."""
    for arr, name in ((x, "x"), (out, "out")):
        kind = "uint8 or int8" if arr is signed[0] else "float32"
        if not isinstance(arr, np.ndarray) or not arr.flags.c_contiguous or \
                (arr.dtype not in _BYTES if arr is signed[0] else arr.dtype != np.float32):
            raise ValueError(f"{what}: {name} must be a C-contiguous {kind} array, got "
                             f"{getattr(arr, 'dtype', type(arr).__name__)}")
    if not isinstance(params, np.ndarray) or params.dtype != np.int32 or params.shape != (8,):
        raise ValueError(f"{what}: params must be the int32 [8] array of {what}_params")
    arr, name, flag = signed
    if bool(params[flag]) != (arr.dtype == np.int8):
        raise ValueError(f"{what}: params say {'int8' if params[flag] else 'uint8'} {name}, got {arr.dtype}")
    if out.shape != x.shape:
        raise ValueError(f"{what}: x and out must have one shape, got {x.shape} and {out.shape}")
    if not out.flags.writeable:
        raise ValueError(f"{what}: out is read-only")
    _check_out(out, _span(out.ctypes.data, out), (("x", _span(x.ctypes.data, x)),))
    if out.size == 0:
        return _nothing
    f = _func(kernel)
    return _bound([(f, (x.ctypes.data, out.ctypes.data, out.size, params.ctypes.data))], (x, out, params))
