"""Pooling binders (NHWC).

  bind_global_avg_pool_nhwc(x, out, lo=-inf, hi=inf)
      x [N, H, W, C] -> out with N*C elements ([N, C] or [N, 1, 1, C]).
  bind_pool2d_nhwc(kind, x, out, kernel_shape, strides=(1, 1), pads=(0, 0, 0, 0),
                   dilations=(1, 1), count_include_pad=False, lo=-inf, hi=inf)
      kind "max" or "avg"; x [N, H, W, C], out [N, OH, OW, C] (the caller
      computes OH/OW, e.g. with ceil_mode, and pads the end accordingly).
"""
import numpy as np

from .checks import _bound, _check, _check_out, _conv_geometry, _nothing, _span, params
from .loader import _func


def bind_global_avg_pool_nhwc(x, out, lo=-np.inf, hi=np.inf):
    """Validate out[n, c] = clamp(mean over H, W of x[n, :, :, c]) and return a runner.
    x [N, H, W, C] and out (N*C elements, e.g. [N, C] or [N, 1, 1, C]): float32,
    C-contiguous, disjoint."""
    f = _func("f32_gavgpool_nhwc_minmax__wasmsimd")
    _check(x, "x", 4)
    _check(out, "out", out.ndim if isinstance(out, np.ndarray) else 0)
    n_, h, w, c = x.shape
    if out.size != n_ * c or (out.ndim and out.shape[0] != n_ and n_ != 1):
        raise ValueError(f"global_avg_pool_nhwc: out must hold N*C = {n_ * c} values as [N, ..., C], got {out.shape}")
    _check_out(out, _span(out.ctypes.data, out), (("x", _span(x.ctypes.data, x)),))
    p = params(lo, hi)
    if out.size == 0:
        return _nothing
    return _bound([(f, (n_, h * w, c, x.ctypes.data, out.ctypes.data, p.ctypes.data))], (x, out, p))


def bind_pool2d_nhwc(kind, x, out, kernel_shape, strides=(1, 1), pads=(0, 0, 0, 0), dilations=(1, 1),
                     count_include_pad=False, lo=-np.inf, hi=np.inf):
    """Validate a windowed max ("max") or average ("avg") pool in NHWC and return a
    runner. x [N, H, W, C], out [N, OH, OW, C] with OH/OW from kernel_shape,
    strides, pads (top, left, bottom, right) and dilations (floor; for windows
    past the explicit pads, ceil_mode's or a last window longer than the input
    that is left, pass the extra end padding in pads). Average divides by the window taps
    inside the input, or inside the padded input with count_include_pad."""
    if kind not in ("max", "avg"):
        raise ValueError(f"pool2d_nhwc: kind must be 'max' or 'avg', got {kind!r}")
    f = _func("f32_pool2d_nhwc__wasmsimd")
    _check(x, "x", 4)
    _check(out, "out", 4)
    n_, h, w, c = x.shape
    kh, kw, strides, pads, dilations, oh, ow = _conv_geometry("pool2d_nhwc", h, w, kernel_shape, strides,
                                                               pads, dilations)
    if out.shape != (n_, oh, ow, c):
        raise ValueError(f"pool2d_nhwc: out must have shape {(n_, oh, ow, c)}, got {out.shape}")
    _check_out(out, _span(out.ctypes.data, out), (("x", _span(x.ctypes.data, x)),))
    p = params(lo, hi)
    if out.size == 0:
        return _nothing
    code = 0 if kind == "max" else (1 if count_include_pad else 2)
    shape = np.array([n_, h, w, c, kh, kw, oh, ow, strides[0], strides[1], *pads, dilations[0], dilations[1], code],
                     np.int32)
    return _bound([(f, (x.ctypes.data, out.ctypes.data, shape.ctypes.data, p.ctypes.data))], (x, out, shape, p))
