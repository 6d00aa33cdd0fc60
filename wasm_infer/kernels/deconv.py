"""Transposed convolution whose kernel equals its stride (no pads, no
dilation, one group): the "upsample by a learned 2x2 / 4x4" of detection and
segmentation necks. No two taps touch the same output pixel, so it is a
GEMM per output row, with no overlap-add:

    out[n, h*sh + i, w*sw + j, m] = sum_c x[n, h, w, c] * W[c, m, i, j] + bias[m]

For fixed (n, h, i) the W output pixels (w, j) of row h*sh + i are one
contiguous [W, sw*M] block, = x[n, h] [W, C] @ B_i [C, sw*M] with
B_i[c, j*M + m] = W[c, m, i, j]: the packed 4x8 GEMM kernel, N*H*sh calls.

  pack_conv_transpose_nhwc(w, bias, stride)
      w [C, M, sh, sw] (ONNX layout, group 1), bias [M] or None.
  bind_conv_transpose_nhwc(x, packed, out, stride, lo, hi)
      x [N, H, W, C], out [N, H*sh, W*sw, M], both C-contiguous.
"""
import numpy as np

from .checks import _bound, _check, _check_out, _check_packed, _nothing, _span, params
from .loader import _func
from .packing import GEMM_NR, _f32, _panels, pack_gemm


def pack_conv_transpose_nhwc(w, bias, stride):
    """(sh, panels(sw*M), C + 1, GEMM_NR) float32: B_i packed by pack_gemm for each row tap i."""
    w = _f32(w, "w")
    if w.ndim != 4 or tuple(w.shape[2:]) != tuple(stride):
        raise ValueError(f"conv_transpose_nhwc: w must be [C, M, sh, sw] with (sh, sw) = stride {tuple(stride)}, "
                         f"got {w.shape}")
    c, m, sh, sw = w.shape
    b = None if bias is None else np.tile(_f32(bias, "bias").reshape(-1), sw)
    return np.stack([pack_gemm(np.ascontiguousarray(w[:, :, i, :].transpose(0, 2, 1)).reshape(c, sw * m), b)
                     for i in range(sh)])


def bind_conv_transpose_nhwc(x, packed, out, stride, lo=-np.inf, hi=np.inf):
    """Validate out = clamp(conv_transpose(x), lo, hi) for kernel == stride and
    return a runner. x [N, H, W, C], out [N, H*sh, W*sw, M]: float32,
    C-contiguous, not overlapping; packed from pack_conv_transpose_nhwc."""
    f = _func("f32_gemm_4x8_minmax__wasmsimd")
    _check(x, "x", 4)
    _check(out, "out", 4)
    sh, sw = (int(s) for s in stride)
    n, h, w, c = x.shape
    if sh < 1 or sw < 1 or out.shape[:3] != (n, h * sh, w * sw):
        raise ValueError(f"conv_transpose_nhwc: out {out.shape} is not x {x.shape} upsampled by {(sh, sw)}")
    m = out.shape[3]
    _check_packed(packed, (sh, _panels(sw * m), c + 1, GEMM_NR), "conv_transpose_nhwc")
    px, pw, po = x.ctypes.data, packed.ctypes.data, out.ctypes.data
    _check_out(out, _span(po, out), (("x", _span(px, x)), ("packed", _span(pw, packed))))
    p = params(lo, hi)
    if x.size == 0 or out.size == 0:
        return _nothing
    panel_bytes = packed[0].nbytes
    row_in, row_out = 4 * w * c, 4 * w * sw * m       # bytes of x[n, h] and of one output row
    calls = [(f, (w, sw * m, c, px + (b * h + y) * row_in, c, pw + i * panel_bytes,
                  po + ((b * h + y) * sh + i) * row_out, sw * m, p.ctypes.data))
             for b in range(n) for y in range(h) for i in range(sh)]
    return _bound(calls, (x, packed, out, p))
