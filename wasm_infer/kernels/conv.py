"""Convolution binders: NHWC with packed weights (depthwise, 1x1 GEMM, indirect
GEMM) and the direct NCHW kernels.

  bind_conv2d_nhwc(x, packed, out, kernel_shape, strides=(1, 1), pads=(0, 0, 0, 0),
                   dilations=(1, 1), group=1, lo=-inf, hi=inf)
      ONNX Conv in NHWC: x [N, H, W, C], out [N, OH, OW, M], pads (top, left,
      bottom, right), weights from pack_conv2d_nhwc. Picks: depthwise kernel
      (3x3/5x5 s1/s2 fast paths, any other shape generic), 1x1 / stride 1 /
      no pad / group 1 -> GEMM on [N*H*W, C], anything else -> indirect GEMM
      (indirection buffer built here, once; one call per group; it gathers
      chunks of output pixels' taps into a shared scratch buffer, igemm_rows()
      rows of KH*KW*Cg).
  bind_conv2d_nchw(x, w, bias, out, ...) / conv2d_nchw(...) (validate and run)
      Kept for the NCHW path: w unpacked ONNX [M, C/group, KH, KW].

The chunk size comes from the package's IGEMM_SCRATCH_FLOATS and
IGEMM_MIN_ROWS, read at bind time (tests lower them to force many chunks).
"""
import sys

import numpy as np

from .checks import (_INT32_LIMIT, _bias, _bound, _check, _check_out, _check_packed, _conv_geometry, _nothing,
                     _span, conv_output_hw, params)
from .loader import _func
from .packing import GEMM_NR, _is_depthwise, _panels

# The package: its tuning knobs are set there (K.IGEMM_SCRATCH_FLOATS = n), so they are read from it.
_pkg = sys.modules[__package__]


def bind_conv2d_nchw(x, w, bias, out, strides=(1, 1), pads=(0, 0, 0, 0), dilations=(1, 1),
                     group=1, lo=-np.inf, hi=np.inf):
    """Validate out = clip(Conv(x, w, bias), lo, hi) (ONNX semantics, NCHW) and return a runner.

    x [N, C, H, W], w [M, C/group, KH, KW], bias None or [M], out [N, M, OH, OW]:
    float32, C-contiguous; out must not overlap the inputs. pads = (top, left,
    bottom, right) (ONNX order). Uses the depthwise kernel when group == C == M."""
    _check(x, "x", 4)
    _check(w, "w", 4)
    _check(out, "out", 4)
    n_, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    strides, pads, dilations = tuple(strides), tuple(pads), tuple(dilations)
    if len(strides) != 2 or len(dilations) != 2 or len(pads) != 4:
        raise ValueError("conv2d_nchw: strides and dilations need 2 values, pads 4 (top, left, bottom, right)")
    if min(strides) < 1 or min(dilations) < 1 or min(pads) < 0:
        raise ValueError(f"conv2d_nchw: strides {strides} and dilations {dilations} must be >= 1, "
                         f"pads {pads} >= 0")
    if group < 1 or c % group or m % group:
        raise ValueError(f"conv2d_nchw: group {group} must divide C={c} and M={m}")
    if cg != c // group:
        raise ValueError(f"conv2d_nchw: w has {cg} input channels per group, expected C/group = {c // group}")
    if min(kh, kw) < 1:
        raise ValueError(f"conv2d_nchw: empty kernel {w.shape}")
    oh, ow = conv_output_hw(h, wd, kh, kw, strides, pads, dilations)
    if oh < 1 or ow < 1:
        raise ValueError(f"conv2d_nchw: output would be empty ({oh} x {ow})")
    if out.shape != (n_, m, oh, ow):
        raise ValueError(f"conv2d_nchw: out must have shape {(n_, m, oh, ow)}, got {out.shape}")
    # Every coordinate the kernel computes must fit in int32.
    for size, o, s, d, k_, p0, p1 in ((h, oh, strides[0], dilations[0], kh, pads[0], pads[2]),
                                      (wd, ow, strides[1], dilations[1], kw, pads[1], pads[3])):
        if size + p0 + p1 + (o + 4) * s + d * k_ >= _INT32_LIMIT:
            raise ValueError("conv2d_nchw: sizes, pads, strides or dilations too large for the kernel")
    pbias, bias_span = _bias(bias, m)
    px, pw, py = x.ctypes.data, w.ctypes.data, out.ctypes.data
    _check_out(out, _span(py, out), (("x", _span(px, x)), ("w", _span(pw, w)), ("bias", bias_span)))
    p = params(lo, hi)
    if out.size == 0:
        return _nothing
    depthwise = group == c and m == c
    f = _func("f32_dwconv2d_nchw_minmax__wasmsimd" if depthwise else "f32_conv2d_nchw_minmax__wasmsimd")
    shape = np.array([n_, c, h, wd, m, kh, kw, oh, ow, group, strides[0], strides[1],
                      pads[0], pads[1], dilations[0], dilations[1]], dtype=np.int32)
    args = (px, pw, pbias, py, shape.ctypes.data, p.ctypes.data)
    keep = (x, w, bias, out, shape, p)

    def run(f=f, args=args, keep=keep):
        f(*args)
    return run


def conv2d_nchw(x, w, bias, out, strides=(1, 1), pads=(0, 0, 0, 0), dilations=(1, 1),
                group=1, lo=-np.inf, hi=np.inf):
    """out = clip(Conv(x, w, bias), lo, hi) with the SIMD kernels. Returns out.

    See bind_conv2d_nchw for the rules; raises ValueError when they are not met."""
    bind_conv2d_nchw(x, w, bias, out, strides, pads, dilations, group, lo, hi)()
    return out


def _indirection(px, n, h, w, c, kh, kw, strides, pads, dilations, oh, ow, itemsize=4):
    """uint32 [n*oh*ow, kh*kw]: the address of input pixel (b, ih, iw, 0) of every
    tap of every output pixel (elements of `itemsize` bytes), or 0 where the tap
    falls in the padding; addresses wrap to 32 bits as a C cast would (wasm32).
    Filled one tap at a time, an [oh, ow] plane of row + column offsets each:
    NumPy's loops then run along whole output rows, where a table computed at
    once would loop over the kw taps innermost (a 640x640 image's first conv,
    0.9 M taps: 75 ms in Pyodide that way)."""
    def at(size, step, offset=0):      # int64: NumPy's default int is 32 bits in Pyodide
        return np.arange(size, dtype=np.int64) * step - offset

    ih = at(oh, strides[0], pads[0])[:, None] + at(kh, dilations[0])     # [oh, kh]
    iw = at(ow, strides[1], pads[1])[:, None] + at(kw, dilations[1])     # [ow, kw]
    pixel = itemsize * c
    row_out, col_out = (ih < 0) | (ih >= h), (iw < 0) | (iw >= w)
    cols = ((iw * pixel) & 0xFFFFFFFF).astype(np.uint32)                                    # [ow, kw]
    out = np.empty((n, oh, ow, kh, kw), np.uint32)
    for b in range(n):
        rows = ((px + b * h * w * pixel + ih * (w * pixel)) & 0xFFFFFFFF).astype(np.uint32)  # [oh, kh]
        for ky in range(kh):
            for kx in range(kw):
                plane = out[b, :, :, ky, kx]
                np.add(rows[:, ky, None], cols[:, kx], out=plane)
                plane[row_out[:, ky]] = 0        # taps in the padding: the border rows and columns
                plane[:, col_out[:, kx]] = 0
    return out.reshape(n * oh * ow, kh * kw)


class _Scratch:
    buf = np.zeros(0, np.float32)


def _scratch(nfloats):
    """A float32 buffer of >= nfloats, shared by every bound indirect GEMM and
    Winograd conv (they run one at a time; each runner keeps the array it was
    bound to alive)."""
    if _Scratch.buf.size < nfloats:
        _Scratch.buf = np.zeros(nfloats, np.float32)
    return _Scratch.buf


def igemm_rows(kk, m):
    """Rows per chunk of the indirect GEMM for KK = KH*KW*Cg and m output pixels."""
    rows = max(_pkg.IGEMM_MIN_ROWS, (_pkg.IGEMM_SCRATCH_FLOATS // max(kk, 1)) & ~3)
    return max(1, min(rows, m))


def bind_conv2d_nhwc(x, packed, out, kernel_shape, strides=(1, 1), pads=(0, 0, 0, 0),
                     dilations=(1, 1), group=1, lo=-np.inf, hi=np.inf):
    """Validate out = clamp(Conv(x, W) + bias, lo, hi) in NHWC (x [N, H, W, C], out
    [N, OH, OW, M]) with W and bias packed by pack_conv2d_nhwc, and return a runner.
    pads = (top, left, bottom, right), ONNX semantics otherwise."""
    what = "conv2d_nhwc"
    _check(x, "x", 4)
    _check(out, "out", 4)
    n_, h, wd, c = x.shape
    m = out.shape[3]
    if group < 1 or c % group or m % group:
        raise ValueError(f"{what}: group {group} must divide C = {c} and M = {m}")
    cg, mg = c // group, m // group
    kh, kw, strides, pads, dilations, oh, ow = _conv_geometry(what, h, wd, kernel_shape, strides, pads, dilations)
    if out.shape != (n_, oh, ow, m):
        raise ValueError(f"{what}: out must have shape {(n_, oh, ow, m)}, got {out.shape}")
    px, py = x.ctypes.data, out.ctypes.data
    p = params(lo, hi)
    if _is_depthwise(m, cg, group):
        _check_packed(packed, (1 + kh * kw, (m + 3) & ~3), what)
        pw = packed.ctypes.data
        _check_out(out, _span(py, out), (("x", _span(px, x)), ("packed", _span(pw, packed))))
        if out.size == 0:
            return _nothing
        shape = np.array([n_, h, wd, c, kh, kw, oh, ow, strides[0], strides[1], pads[0], pads[1],
                          dilations[0], dilations[1]], np.int32)
        f = _func("f32_dwconv2d_nhwc_minmax__wasmsimd")
        return _bound([(f, (px, pw, py, shape.ctypes.data, p.ctypes.data))], (x, packed, out, shape, p))
    _check_packed(packed, (group, _panels(mg), 1 + kh * kw * cg, GEMM_NR), what)
    pw = packed.ctypes.data
    _check_out(out, _span(py, out), (("x", _span(px, x)), ("packed", _span(pw, packed))))
    if out.size == 0:
        return _nothing
    pp = p.ctypes.data
    if kh == kw == 1 and strides == (1, 1) and pads == (0, 0, 0, 0) and group == 1:
        f = _func("f32_gemm_4x8_minmax__wasmsimd")
        rows = n_ * h * wd
        return _bound([(f, (rows, m, c, px, c, pw, py, m, pp))], (x, packed, out, p))
    f = _func("f32_igemm_4x8_minmax__wasmsimd")
    ind = _indirection(px, n_, h, wd, c, kh, kw, strides, pads, dilations, oh, ow)
    pind, rows, gstride, kk = ind.ctypes.data, n_ * oh * ow, packed[0].nbytes, kh * kw * cg
    mb = igemm_rows(kk, rows)
    scratch = _scratch(max(1, mb * kk))
    if scratch.size < mb * kk:   # the kernel writes scratch[0 .. mb * KK)
        raise ValueError(f"{what}: scratch of {scratch.size} floats < {mb} rows x {kk}")
    ps = scratch.ctypes.data
    _check_out(scratch, _span(ps, scratch), (("x", _span(px, x)), ("packed", _span(pw, packed)),
                                             ("out", _span(py, out))))
    calls = [(f, (rows, mg, cg, kh * kw, pind, 4 * g * cg, pw + g * gstride, py + 4 * g * mg, m, ps, mb, pp))
             for g in range(group)]
    return _bound(calls, (x, packed, out, p, ind, scratch))
