"""Winograd F(2x2, 3x3) convolution binder (NHWC, 3x3, stride 1, dilation 1, group 1).

  winograd_applies(w_shape, strides, dilations, group) -> bool
  bind_conv2d_nhwc_winograd(x, packed, out, pads=(0, 0, 0, 0), lo=-inf, hi=inf)
      weights from pack_conv2d_nhwc_winograd; C and M multiples of 4.

Tiles per chunk come from the package's WINOGRAD_SCRATCH_FLOATS, read at bind
time (tests lower it to force many chunks).
"""
import os
import sys

import numpy as np

from .checks import _INT32_LIMIT, _bound, _check, _check_out, _conv_geometry, _nothing, _span, params
from .conv import _scratch
from .loader import _func
from .packing import _winograd_size

# The package: its tuning knobs are set there (K.WINOGRAD_SCRATCH_FLOATS = n), so they are read from it.
_pkg = sys.modules[__package__]

WINOGRAD_MIN_CHANNELS = 16


def winograd_applies(w_shape, strides=(1, 1), dilations=(1, 1), group=1):
    """Does bind_conv2d_nhwc_winograd take this conv (3x3, stride 1, dilation 1,
    group 1, C and M multiples of 4 and >= WINOGRAD_MIN_CHANNELS)? Off with
    WASM_INFER_WINOGRAD=0 (read at each call: at session creation)."""
    if os.environ.get("WASM_INFER_WINOGRAD", "1") == "0" or len(w_shape) != 4:
        return False
    m, cg, kh, kw = (int(v) for v in w_shape)
    return ((kh, kw) == (3, 3) and tuple(strides) == (1, 1) and tuple(dilations) == (1, 1) and group == 1
            and cg % 4 == 0 and m % 4 == 0 and min(cg, m) >= WINOGRAD_MIN_CHANNELS)


def bind_conv2d_nhwc_winograd(x, packed, out, pads=(0, 0, 0, 0), lo=-np.inf, hi=np.inf):
    """Validate out = clamp(Conv3x3(x, W) + bias, lo, hi) in NHWC, stride 1,
    dilation 1, group 1, by Winograd F(2x2, 3x3), with W and bias packed by
    pack_conv2d_nhwc_winograd, and return a runner. x [N, H, W, C], out
    [N, H + pt + pb - 2, W + pl + pr - 2, M], C and M multiples of 4."""
    what = "conv2d_nhwc_winograd"
    f = _func("f32_conv2d_nhwc_3x3s1_minmax__wasmsimd_winograd2x2")
    _check(x, "x", 4)
    _check(out, "out", 4)
    n_, h, wd, c = x.shape
    m = out.shape[3]
    if c % 4 or m % 4:
        raise ValueError(f"{what}: C = {c} and M = {m} must be multiples of 4")
    _, _, _, pads, _, oh, ow = _conv_geometry(what, h, wd, (3, 3), (1, 1), pads, (1, 1))
    if out.shape != (n_, oh, ow, m):
        raise ValueError(f"{what}: out must have shape {(n_, oh, ow, m)}, got {out.shape}")
    _check(packed, "packed", 1)
    if packed.shape[0] != _winograd_size(c, m):
        raise ValueError(f"{what}: packed weights have {packed.shape[0]} floats, expected {_winograd_size(c, m)} "
                         "(packed for another shape?)")
    px, py, pw = x.ctypes.data, out.ctypes.data, packed.ctypes.data
    _check_out(out, _span(py, out), (("x", _span(px, x)), ("packed", _span(pw, packed))))
    p = params(lo, hi)
    if out.size == 0:
        return _nothing
    total = n_ * ((oh + 1) // 2) * ((ow + 1) // 2)
    if total >= _INT32_LIMIT or x.size >= _INT32_LIMIT or out.size >= _INT32_LIMIT:
        raise ValueError(f"{what}: tensors too large for the kernel")
    tiles = min(total, max(4, (_pkg.WINOGRAD_SCRATCH_FLOATS // (16 * (c + m))) & ~3))
    scratch = _scratch(16 * tiles * (c + m))
    ps = scratch.ctypes.data
    _check_out(scratch, _span(ps, scratch), (("x", _span(px, x)), ("packed", _span(pw, packed)),
                                             ("out", _span(py, out))))
    shape = np.array([n_, h, wd, c, m, oh, ow, pads[0], pads[1]], np.int32)
    return _bound([(f, (px, pw, py, shape.ctypes.data, ps, tiles, p.ctypes.data))], (x, packed, out, shape, scratch, p))
