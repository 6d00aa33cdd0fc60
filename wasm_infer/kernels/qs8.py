"""int8 (QS8) convolution binders: NHWC, uint8 or int8 activations, int8
weights with zero point 0, int32 bias, per-channel float32 requantization
(kernels_wasm/qs8_requant.h says how it rounds).

  pack_qs8_conv2d_nhwc(w, bias, scale, group) -> int16 array
      w int8 [M, C/group, KH, KW], bias int32 [M] or None, scale float32 [M].
      Depthwise (C/group == 1, group == M): [4 * Cp + KH*KW * Cp + 2 * P * Cp]
      int16, Cp = round_up(M, 8), P = KH * ceil(KW / 2) (bias, scales, one row
      per tap, then P rows of (w[kh][2j], w[kh][2j + 1]) per channel, zero past
      KW: pairs along each kernel row). Otherwise
      [group, panels, 32 + 8 * kk2] int16 per group and panel of 8 columns
      (8 int32 bias, 8 float32 scales, kk2 / 2 rows of 4 columns x 2 k x 2),
      kk2 = round_up(KH*KW*C/group, 2), tap-major then channel.
  qs8_params(x_zero_point, x_signed, y_zero_point, out_min, out_max, y_signed) -> int32 [8]
  bind_qs8_conv2d_nhwc(x, packed, out, kernel_shape, strides, pads, dilations, group, params)
      x uint8/int8 [N, H, W, C], out uint8/int8 [N, OH, OW, M] (C-contiguous,
      disjoint from x and packed). Depthwise kernel, else the indirect GEMM
      (indirection built here, every pointer in it inside x; int16 scratch in
      the buffer the float indirect GEMMs share).
"""
import sys

import numpy as np

from .checks import _INT32_LIMIT, _bound, _check_out, _conv_geometry, _nothing, _span
from .conv import _indirection, _scratch
from .loader import _func
from .packing import _is_depthwise, pack_k_pairs

_pkg = sys.modules[__package__]
_BYTES = (np.dtype(np.uint8), np.dtype(np.int8))
_I16 = np.dtype(np.int16)


def _as_i16(a):
    """int32/float32 values as the int16 pairs they occupy in a packed buffer."""
    return np.ascontiguousarray(a).view(np.int16)


def qs8_params(x_zero_point, x_signed, y_zero_point, out_min, out_max, y_signed):
    x_lo, x_hi = (-128, 127) if x_signed else (0, 255)
    y_lo, y_hi = (-128, 127) if y_signed else (0, 255)
    if not (x_lo <= x_zero_point <= x_hi and y_lo <= y_zero_point <= y_hi and y_lo <= out_min <= out_max <= y_hi):
        raise ValueError(f"qs8 params: zero points {x_zero_point}, {y_zero_point} or output range "
                         f"[{out_min}, {out_max}] outside the types' ranges")
    return np.array([x_zero_point, int(bool(x_signed)), y_zero_point, out_min, out_max, int(bool(y_signed)), 0, 0],
                    np.int32)


def _dw_pairs(kh, kw):
    return kh * ((kw + 1) // 2)


def _dw_len(kh, kw, cp):
    """int16 length of packed depthwise weights."""
    return 4 * cp + kh * kw * cp + 2 * _dw_pairs(kh, kw) * cp


def _kk2(kh, kw, cg):
    return (kh * kw * cg + 1) & ~1


def pack_qs8_conv2d_nhwc(w, bias, scale, group=1):
    w = np.asarray(w)
    if w.dtype != np.int8 or w.ndim != 4:
        raise ValueError(f"pack_qs8_conv2d_nhwc: weights must be int8 [M, C/group, KH, KW], got {w.dtype} {w.shape}")
    m, cg, kh, kw = w.shape
    bias = np.zeros(m, np.int32) if bias is None else np.asarray(bias)
    scale = np.asarray(scale)
    if bias.dtype != np.int32 or bias.shape != (m,) or scale.dtype != np.float32 or scale.shape != (m,):
        raise ValueError(f"pack_qs8_conv2d_nhwc: bias must be int32 [{m}] and scale float32 [{m}]")
    if group < 1 or m % group:
        raise ValueError(f"pack_qs8_conv2d_nhwc: group {group} must divide M = {m}")
    if _is_depthwise(m, cg, group):
        cp = (m + 7) & ~7
        b = np.zeros(cp, np.int32)
        b[:m] = bias
        s = np.zeros(cp, np.float32)
        s[:m] = scale
        t = kh * kw
        taps = np.zeros((t, cp), np.int16)
        taps[:, :m] = w.reshape(m, t).T
        # pairs along each kernel row: (kh, 2j) and (kh, 2j + 1), an odd last column with zeros
        rows = np.zeros((kh, 2 * ((kw + 1) // 2), cp), np.int16)
        rows[:, :kw] = taps.reshape(kh, kw, cp)
        pairs = rows.reshape(kh, -1, 2, cp).transpose(0, 1, 3, 2)
        return np.concatenate([_as_i16(b), _as_i16(s), taps.reshape(-1), pairs.reshape(-1)])
    mg, kk = m // group, kh * kw * cg
    kk2, panels = _kk2(kh, kw, cg), (mg + 7) // 8
    out = np.zeros((group, panels, 32 + 8 * kk2), np.int16)
    wt = w.transpose(0, 2, 3, 1).reshape(group, mg, kk)                # tap-major, then channel
    for g in range(group):      # all panels of a group at once: M = 1280 is 160 panels
        b = np.zeros((panels, 8), np.int32)
        b.reshape(-1)[:mg] = bias[g * mg:(g + 1) * mg]
        s = np.zeros((panels, 8), np.float32)
        s.reshape(-1)[:mg] = scale[g * mg:(g + 1) * mg]
        wp = np.zeros((panels * 8, kk2), np.int16)
        wp[:mg, :kk] = wt[g]
        out[g, :, :16] = b.view(np.int16)
        out[g, :, 16:32] = s.view(np.int16)
        pack_k_pairs(wp, out[g, :, 32:])     # per panel, rows of 16: each column's k and k + 1 adjacent
    return out


def _check_bytes(arr, name):
    if not isinstance(arr, np.ndarray) or arr.dtype not in _BYTES or arr.ndim != 4 or not arr.flags.c_contiguous:
        raise ValueError(f"{name}: must be a C-contiguous 4-D uint8 or int8 array, got "
                         f"{getattr(arr, 'dtype', type(arr).__name__)} {getattr(arr, 'shape', '')}")


def bind_qs8_conv2d_nhwc(x, packed, out, kernel_shape, strides=(1, 1), pads=(0, 0, 0, 0), dilations=(1, 1),
                         group=1, params=None):
    what = "qs8_conv2d_nhwc"
    _check_bytes(x, "x")
    _check_bytes(out, "out")
    if not isinstance(params, np.ndarray) or params.dtype != np.int32 or params.shape != (8,):
        raise ValueError(f"{what}: params must be the int32 [8] array of qs8_params")
    if params[1] != (x.dtype == np.int8) or params[5] != (out.dtype == np.int8):
        raise ValueError(f"{what}: params say {'int8' if params[1] else 'uint8'} x and "
                         f"{'int8' if params[5] else 'uint8'} out; got {x.dtype} and {out.dtype}")
    n_, h, wd, c = x.shape
    m = out.shape[3]
    if group < 1 or c % group or m % group:
        raise ValueError(f"{what}: group {group} must divide C = {c} and M = {m}")
    cg, mg = c // group, m // group
    kh, kw, strides, pads, dilations, oh, ow = _conv_geometry(what, h, wd, kernel_shape, strides, pads, dilations)
    if out.shape != (n_, oh, ow, m):
        raise ValueError(f"{what}: out must have shape {(n_, oh, ow, m)}, got {out.shape}")
    # int32 accumulation: |x - zero| <= 255, |w| <= 128, plus the bias
    if kh * kw * cg * 255 * 128 + 2 ** 30 >= _INT32_LIMIT:
        raise ValueError(f"{what}: {kh * kw * cg} products per output could overflow the int32 accumulator")
    if not isinstance(packed, np.ndarray) or packed.dtype != _I16 or not packed.flags.c_contiguous:
        raise ValueError(f"{what}: packed weights must be the int16 array of pack_qs8_conv2d_nhwc")
    px, py, pw, pp = x.ctypes.data, out.ctypes.data, packed.ctypes.data, params.ctypes.data
    if _is_depthwise(m, cg, group):
        cp = (m + 7) & ~7
        if packed.shape != (_dw_len(kh, kw, cp),):
            raise ValueError(f"{what}: packed weights have shape {packed.shape}, expected {(_dw_len(kh, kw, cp),)}")
        _check_out(out, _span(py, out), (("x", _span(px, x)), ("packed", _span(pw, packed))))
        if out.size == 0:
            return _nothing
        shape = np.array([n_, h, wd, c, kh, kw, oh, ow, strides[0], strides[1], pads[0], pads[1],
                          dilations[0], dilations[1]], np.int32)
        f = _func("qs8_dwconv2d_nhwc__wasmsimd")
        return _bound([(f, (px, pw, py, shape.ctypes.data, pp))], (x, packed, out, shape, params))
    kk2 = _kk2(kh, kw, cg)
    want = (group, (mg + 7) // 8, 32 + 8 * kk2)
    if packed.shape != want:
        raise ValueError(f"{what}: packed weights have shape {packed.shape}, expected {want}")
    _check_out(out, _span(py, out), (("x", _span(px, x)), ("packed", _span(pw, packed))))
    if out.size == 0:
        return _nothing
    ind = _indirection(px, n_, h, wd, c, kh, kw, strides, pads, dilations, oh, ow, itemsize=1)
    rows = n_ * oh * ow
    mb = max(1, min(rows, max(_pkg.IGEMM_MIN_ROWS, (_pkg.IGEMM_SCRATCH_FLOATS // max(kk2, 1)) & ~3)))
    # the float convs' shared scratch, as int16: one buffer that stays in cache for every conv
    # (a fresh one per conv streamed up to 512 KB each through memory); the kernel writes
    # scratch[0 .. mb * kk2)
    scratch = _scratch((mb * kk2 + 1) // 2).view(np.int16)
    if scratch.size < mb * kk2:
        raise ValueError(f"{what}: scratch of {scratch.size} int16 < {mb} rows x {kk2}")
    ps = scratch.ctypes.data
    _check_out(scratch, _span(ps, scratch), (("x", _span(px, x)), ("packed", _span(pw, packed)),
                                             ("out", _span(py, out))))
    gstride = packed[0].nbytes
    f = _func("qs8_igemm_4x8c2__wasmsimd")
    calls = [(f, (rows, mg, cg, kh * kw, ind.ctypes.data, g * cg, pw + g * gstride, py + g * mg, m, ps, mb, pp))
             for g in range(group)]
    return _bound(calls, (x, packed, out, params, ind, scratch))
