"""The WebAssembly SIMD kernels (kernels_wasm/ built into side modules), seen from Python.

Only under Pyodide: the side module is loaded with `ctypes.CDLL` and called on
numpy buffers in Pyodide's own heap (pointers = `arr.ctypes.data`, zero
copies). Anywhere else, or when something is missing, `available()` is False
and callers use their NumPy implementations; `reason()` says why.

Flavours (`flavour()`): "relaxed" (`_kernels_relaxed.wasm`, built with
-mrelaxed-simd: fused multiply-add), "simd128" (`_kernels.so`, every current
browser), "numpy" (no kernels). The relaxed module is used when the engine
validates a relaxed-SIMD probe module (`WebAssembly.validate`) and it loads;
otherwise SIMD128, and `reason()` remembers why relaxed was not used. The
relaxed module is not named *.so on purpose: Pyodide's package loader
preloads every *.so of a wheel and a relaxed module fails to compile on
engines without relaxed SIMD (which would fail the whole install); it is
small (< 200 KB), so `ctypes.CDLL` compiles it synchronously, even on a
browser main thread.

Environment switches (read on first use, and again after `reload()`):
  WASM_INFER_BACKEND=numpy    never load the kernels.
  WASM_INFER_KERNELS=/path    the SIMD128 module (default: `_kernels.so` next to
                              this file); the relaxed one is `_kernels_relaxed.wasm`
                              in the same folder unless
  WASM_INFER_KERNELS_RELAXED=/path  says otherwise.
  WASM_INFER_FLAVOUR=simd128  do not try the relaxed module (or =relaxed: the
                              default, relaxed when possible).

API for the graph (everything float32; shapes checked once, at bind time)
--------------------------------------------------------------------------
Weights are packed once, at session creation, into numpy arrays:
  pack_gemm(b, bias=None, trans_b=False, alpha=1.0) -> packed
      b [K, N] (or [N, K] with trans_b, as ONNX Gemm's B), bias [N] or None:
      alpha * B and the bias in panels of GEMM_NR columns, shape
      (ceil(N / GEMM_NR), K + 1, GEMM_NR).
  pack_conv2d_nhwc(w, bias=None, group=1) -> packed
      w ONNX [M, C/group, KH, KW], bias [M] or None. Depthwise (C/group == 1
      and group == M, i.e. channel multiplier 1): shape (1 + KH*KW, round_up(M, 4));
      otherwise (group, ceil(Mg / GEMM_NR), 1 + KH*KW*Cg, GEMM_NR).
Runners: bind_*() validate dtypes, layouts, shapes and overlaps once (raising
ValueError), precompute the ctypes argument tuples and return a zero-argument
callable that runs the kernel on those very arrays (it keeps them alive;
~1 us per call in Node, plus a few calls for grouped convs). Re-bind when a
buffer changes. `out` never overlaps an input unless said otherwise. lo/hi is
the fused clamp (ReLU = (0, inf), ReLU6/Clip = (lo, hi)); NaN propagates.
  bind_gemm_packed(a, packed, out, lo=-inf, hi=inf)
      out[m, n] = clamp(a[m, k] @ B + bias); a, out 2-D with contiguous rows
      (row stride >= row length allowed). Tile 4x8 (SIMD128 and relaxed).
  bind_conv2d_nhwc(x, packed, out, kernel_shape, strides=(1, 1), pads=(0, 0, 0, 0),
                   dilations=(1, 1), group=1, lo=-inf, hi=inf)
      ONNX Conv in NHWC: x [N, H, W, C], out [N, OH, OW, M], pads (top, left,
      bottom, right). Picks: depthwise kernel (3x3/5x5 s1/s2 fast paths, any
      other shape generic), 1x1 / stride 1 / no pad / group 1 -> GEMM on
      [N*H*W, C], anything else -> indirect GEMM (indirection buffer built
      here, once; one call per group; it gathers chunks of output pixels'
      taps into a shared scratch buffer, igemm_rows() rows of KH*KW*Cg).
  bind_unary(op, x, out, lo=-inf, hi=inf)
      op in UNARY_OPS: "clamp", "hardswish", "sigmoid", "silu" (x*sigmoid(x)),
      "exp"; then the clamp. x, out same shape, C-contiguous; out may be x.
  bind_binary(op, a, b, out, lo=-inf, hi=inf)
      op in BINARY_OPS: "add", "sub", "mul", "div", "min", "max" with numpy
      broadcasting of C-contiguous a and b to out's shape (any broadcast that
      folds into 3 dims: same shape, scalar, per-channel NHWC or NCHW, ...;
      else ValueError); then the clamp. out may be a or b when that operand
      has out's shape (in place residual Add).
  bind_global_avg_pool_nhwc(x, out, lo=-inf, hi=inf)
      x [N, H, W, C] -> out with N*C elements ([N, C] or [N, 1, 1, C]).
  bind_pool2d_nhwc(kind, x, out, kernel_shape, strides=(1, 1), pads=(0, 0, 0, 0),
                   dilations=(1, 1), count_include_pad=False, lo=-inf, hi=inf)
      kind "max" or "avg"; x [N, H, W, C], out [N, OH, OW, C] (the caller
      computes OH/OW, e.g. with ceil_mode, and pads the end accordingly).
  bind_softmax(x, out)
      softmax over the last axis (C-contiguous; out may be x).
Kept for the NCHW path until the graph has switched: gemm / bind_gemm (B
unpacked, row-major), conv2d_nchw / bind_conv2d_nchw.

Validation in a bind costs ~10-50 us in Pyodide (mostly `arr.ctypes.data`,
~2 us each); the runner costs about one raw call. `argtypes` is deliberately
not set: ctypes is faster without it; Python ints are passed as C ints, and
addresses in [2**31, 2**32) (heap past 2 GiB) are accepted as they are and
keep their bits: ctypes tries `PyLong_AsUnsignedLong` first (checked in
tests/node/kernels.test.mjs). Floats never go through ctypes: they travel in
a small float32 `params` array {min, max}.

No kernel reads or writes outside the buffers described above (no
over-reads: partial vector loads at every edge; packed weights are
zero-padded by the pack functions).

This module imports nothing from wasm_infer, so it can also be loaded on its own.
"""
import ctypes
import os
import sys

import numpy as np

ABI_VERSION = 3
KERNEL_NAMES = ("f32_gemm_minmax__wasmsimd", "f32_conv2d_nchw_minmax__wasmsimd",
                "f32_dwconv2d_nchw_minmax__wasmsimd", "f32_gemm_4x8_minmax__wasmsimd",
                "f32_igemm_4x8_minmax__wasmsimd", "f32_dwconv2d_nhwc_minmax__wasmsimd",
                "f32_vclamp__wasmsimd", "f32_vhswish__wasmsimd", "f32_vsigmoid__wasmsimd",
                "f32_vsilu__wasmsimd", "f32_vexp__wasmsimd", "f32_vbinary_minmax__wasmsimd",
                "f32_gavgpool_nhwc_minmax__wasmsimd", "f32_pool2d_nhwc__wasmsimd",
                "f32_softmax__wasmsimd", "f32_conv2d_nhwc_3x3s1_minmax__wasmsimd_winograd2x2")
GEMM_NR = 8        # columns per packed panel (the 4x8 tile's NR)
RELAXED_NAME = "_kernels_relaxed.wasm"

# The smallest module that uses SIMD128: (func (drop (v128.const i32x4 0 0 0 0))).
_SIMD128_PROBE = bytes(
    [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,        # magic, version 1
     0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                    # type section: () -> ()
     0x03, 0x02, 0x01, 0x00,                                # function section: 1 func, type 0
     0x0A, 0x17, 0x01, 0x15, 0x00,                          # code section: 1 body, 21 bytes, no locals
     0xFD, 0x0C] + [0x00] * 16 + [                          # v128.const 0
     0x1A, 0x0B])                                           # drop, end

# (func (drop (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0)))):
# validates only where relaxed SIMD is enabled.
_RELAXED_PROBE = bytes(
    [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
     0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
     0x03, 0x02, 0x01, 0x00,
     0x0A, 0x3E, 0x01, 0x3C, 0x00]                          # code section: 1 body, 60 bytes
    + [0xFD, 0x0C] + [0x00] * 16 + [0xFD, 0x0C] + [0x00] * 16 + [0xFD, 0x0C] + [0x00] * 16
    + [0xFD, 0x85, 0x02,                                    # f32x4.relaxed_madd (0xFD 0x105)
       0x1A, 0x0B])

_INT32_LIMIT = 2 ** 31

_F32 = np.dtype(np.float32)


class _State:
    loaded = False
    lib = None
    funcs = {}
    flavour = "numpy"
    reason = "not loaded yet"
    path = None


def _validates(probe):
    """Does this engine validate the wasm module `probe`? (Pyodide only.)"""
    from js import WebAssembly  # noqa: PLC0415 (only exists under Pyodide)
    from pyodide.ffi import to_js  # noqa: PLC0415
    return bool(WebAssembly.validate(to_js(probe)))


def _simd128_supported():
    return _validates(_SIMD128_PROBE)


def default_path():
    return os.environ.get("WASM_INFER_KERNELS") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "_kernels.so")


def relaxed_path():
    return os.environ.get("WASM_INFER_KERNELS_RELAXED") or os.path.join(
        os.path.dirname(default_path()), RELAXED_NAME)


def _open(path):
    """(lib, funcs) of the module at path, or raise RuntimeError saying why not."""
    if not os.path.exists(path):
        raise RuntimeError(f"kernel module not found at {path}")
    try:
        lib = ctypes.CDLL(path)
        version = lib.wasm_infer_kernels_abi_version()
    except Exception as e:  # noqa: BLE001
        raise RuntimeError(f"loading {path} failed: {type(e).__name__}: {e}") from None
    if version != ABI_VERSION:
        raise RuntimeError(f"{path} has kernel ABI version {version}, expected {ABI_VERSION}")
    try:
        return lib, {name: getattr(lib, name) for name in KERNEL_NAMES}
    except AttributeError as e:
        raise RuntimeError(f"{path} lacks a kernel: {e}") from None


def _load():
    _State.loaded = True
    _State.lib, _State.funcs, _State.flavour = None, {}, "numpy"
    if os.environ.get("WASM_INFER_BACKEND", "").lower() == "numpy" or \
            os.environ.get("WASM_INFER_FLAVOUR", "").lower() == "numpy":
        _State.reason = "disabled by WASM_INFER_BACKEND=numpy (or WASM_INFER_FLAVOUR=numpy)"
        return
    if sys.platform != "emscripten":
        _State.reason = f"not running under Pyodide (sys.platform is {sys.platform!r})"
        return
    try:
        simd = _simd128_supported()
    except Exception as e:  # noqa: BLE001 (any failure means: no kernels)
        _State.reason = f"WebAssembly SIMD feature detection failed: {type(e).__name__}: {e}"
        return
    if not simd:
        _State.reason = "this WebAssembly engine does not support SIMD128"
        return
    why_not_relaxed = "WASM_INFER_FLAVOUR=simd128"
    if os.environ.get("WASM_INFER_FLAVOUR", "relaxed").lower() != "simd128":
        try:
            ok = _validates(_RELAXED_PROBE)
        except Exception as e:  # noqa: BLE001
            ok, why_not_relaxed = False, f"relaxed-SIMD detection failed: {type(e).__name__}: {e}"
        else:
            why_not_relaxed = "this WebAssembly engine does not support relaxed SIMD"
        if ok:
            path = relaxed_path()
            try:
                _State.lib, _State.funcs = _open(path)
            except RuntimeError as e:
                why_not_relaxed = str(e)
            else:
                _State.flavour, _State.path = "relaxed", path
                _State.reason = f"loaded {path} (relaxed SIMD)"
                return
    path = _State.path = default_path()
    try:
        _State.lib, _State.funcs = _open(path)
    except RuntimeError as e:
        _State.reason = str(e)
        return
    _State.flavour = "simd128"
    _State.reason = f"loaded {path} (SIMD128; relaxed not used: {why_not_relaxed})"


def _ensure():
    if not _State.loaded:
        _load()


def reload():
    """Forget the loaded state; the next call re-reads the environment and loads again."""
    _State.loaded = False
    _ensure()
    return available()


def available():
    """True when the SIMD kernels are loaded and callable."""
    _ensure()
    return _State.lib is not None


def flavour():
    """"relaxed" or "simd128" when the kernels are in use, else "numpy"."""
    _ensure()
    return _State.flavour


def reason():
    """Why the kernels are (not) in use, for diagnostics."""
    _ensure()
    return _State.reason


def raw(name):
    """The raw ctypes function `name` (unchecked: callers validate), or None."""
    _ensure()
    return _State.funcs.get(name)


def _func(name):
    _ensure()
    f = _State.funcs.get(name)
    if f is None:
        raise RuntimeError(f"wasm_infer kernels are not available: {_State.reason}")
    return f


# ---- validation --------------------------------------------------------------

_params_cache = {}


def params(lo, hi):
    """The float32 {min, max} array the kernels read; cached per (lo, hi)."""
    key = (float(lo), float(hi))
    arr = _params_cache.get(key)
    if arr is None:
        if not key[0] <= key[1]:
            raise ValueError(f"clamp range is empty or NaN: lo={lo}, hi={hi}")
        if len(_params_cache) > 64:
            _params_cache.clear()
        arr = _params_cache[key] = np.array(key, dtype=np.float32)
    return arr


def _check(arr, name, ndim, contiguous=True):
    if not isinstance(arr, np.ndarray):
        raise ValueError(f"{name}: expected a numpy.ndarray, got {type(arr).__name__}")
    if arr.dtype != _F32:
        raise ValueError(f"{name}: dtype must be float32, got {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim}-D, got shape {arr.shape}")
    flags = arr.flags
    if not flags.aligned:
        raise ValueError(f"{name}: array is not 4-byte aligned")
    if contiguous and not flags.c_contiguous:
        raise ValueError(f"{name}: must be C-contiguous (use numpy.ascontiguousarray)")


def _row_stride(arr, name):
    """Row stride (elements) of a 2-D float32 array whose rows are contiguous."""
    rows, cols = arr.shape
    if rows == 0 or cols == 0:
        return max(cols, 1)
    s0, s1 = arr.strides
    if cols > 1 and s1 != 4:
        raise ValueError(f"{name}: rows must be contiguous (column stride 4 bytes), got strides {arr.strides}")
    if rows <= 1:
        return max(cols, 1)
    if s0 % 4 or s0 < 4 * cols:
        raise ValueError(f"{name}: row stride {s0} bytes must be a multiple of 4 and >= "
                         f"4 * {cols} (rows may not overlap or run backwards)")
    return s0 // 4


def _span(ptr, arr, row_stride=None):
    """[first byte, last byte + 1) the kernel may touch; None when empty."""
    if arr.size == 0:
        return None
    if row_stride is None:
        return ptr, ptr + arr.nbytes
    rows, cols = arr.shape
    return ptr, ptr + 4 * ((rows - 1) * row_stride + cols)


def _bias(bias, n):
    if bias is None:
        return 0, None
    _check(bias, "bias", 1)
    if bias.shape[0] != n:
        raise ValueError(f"bias: expected length {n}, got {bias.shape[0]}")
    ptr = bias.ctypes.data
    return ptr, _span(ptr, bias)


def _check_out(out, out_span, inputs):
    """out must be writable and must not overlap an input (conservative: by address range)."""
    if not out.flags.writeable:
        raise ValueError("out: array is read-only")
    if out_span is None:
        return
    lo, hi = out_span
    for name, span in inputs:
        if span is not None and span[0] < hi and lo < span[1]:
            raise ValueError(f"out must not overlap {name}")


# ---- checked wrappers --------------------------------------------------------
# bind_*() validate once and return a zero-argument callable that runs the
# kernel on those very arrays (it keeps them alive): the cheap way to call a
# kernel repeatedly (plan once, run many). gemm() / conv2d_nchw() validate and
# run at once.

def _nothing():
    return None


def bind_gemm(a, b, bias, out, lo=-np.inf, hi=np.inf):
    """Validate out[m, n] = clip(a[m, k] @ b[k, n] + bias[n], lo, hi) and return a runner.

    a, b, out: 2-D float32 with contiguous rows (any row stride >= row length);
    bias: None or 1-D float32 of length n; out must not overlap the inputs."""
    f = _func("f32_gemm_minmax__wasmsimd")
    _check(a, "a", 2, contiguous=False)
    _check(b, "b", 2, contiguous=False)
    _check(out, "out", 2, contiguous=False)
    m, k = a.shape
    k2, n = b.shape
    if k2 != k:
        raise ValueError(f"gemm: a is {a.shape} and b is {b.shape}: inner dimensions differ")
    if out.shape != (m, n):
        raise ValueError(f"gemm: out must have shape {(m, n)}, got {out.shape}")
    sa, sb, sc = _row_stride(a, "a"), _row_stride(b, "b"), _row_stride(out, "out")
    pbias, bias_span = _bias(bias, n)
    pa, pb, pc = a.ctypes.data, b.ctypes.data, out.ctypes.data
    _check_out(out, _span(pc, out, sc), (("a", _span(pa, a, sa)), ("b", _span(pb, b, sb)),
                                         ("bias", bias_span)))
    p = params(lo, hi)
    if m == 0 or n == 0:
        return _nothing
    args = (m, n, k, pa, sa, pb, sb, pbias, pc, sc, p.ctypes.data)
    keep = (a, b, bias, out, p)

    def run(f=f, args=args, keep=keep):
        f(*args)
    return run


def gemm(a, b, bias, out, lo=-np.inf, hi=np.inf):
    """out[m, n] = clip(a[m, k] @ b[k, n] + bias[n], lo, hi) with the SIMD kernel. Returns out.

    See bind_gemm for the rules; raises ValueError when they are not met."""
    bind_gemm(a, b, bias, out, lo, hi)()
    return out


def conv_output_hw(h, w, kh, kw, strides, pads, dilations):
    """(OH, OW) of an ONNX Conv; pads = (top, left, bottom, right)."""
    sh, sw = strides
    pt, pl, pb, pr = pads
    dh, dw = dilations
    return ((h + pt + pb - dh * (kh - 1) - 1) // sh + 1,
            (w + pl + pr - dw * (kw - 1) - 1) // sw + 1)


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


# ---- packed weights (NHWC path) ----------------------------------------------

def _f32(arr, name):
    arr = np.asarray(arr)
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"{name}: expected numbers, got {arr.dtype}")
    return arr.astype(np.float32, copy=False)


def _panels(n):
    return (n + GEMM_NR - 1) // GEMM_NR


def pack_gemm(b, bias=None, trans_b=False, alpha=1.0):
    """Pack alpha * B (b [K, N], or [N, K] with trans_b) and bias [N] (or None) for
    bind_gemm_packed: float32 of shape (ceil(N / GEMM_NR), K + 1, GEMM_NR), each
    panel its GEMM_NR biases then K rows of GEMM_NR weights, zero-padded."""
    b = _f32(b, "b")
    if b.ndim != 2:
        raise ValueError(f"pack_gemm: b must be 2-D, got shape {b.shape}")
    w = (b.T if trans_b else b).astype(np.float64) * alpha        # [K, N]
    k, n = w.shape
    p = _panels(n)
    packed = np.zeros((p, k + 1, GEMM_NR), np.float32)
    wp = np.zeros((k, p * GEMM_NR), np.float32)
    wp[:, :n] = w
    packed[:, 1:, :] = wp.reshape(k, p, GEMM_NR).transpose(1, 0, 2)
    if bias is not None:
        bias = _f32(bias, "bias").reshape(-1)
        if bias.shape[0] != n:
            raise ValueError(f"pack_gemm: bias has {bias.shape[0]} values, expected N = {n}")
        bp = np.zeros(p * GEMM_NR, np.float32)
        bp[:n] = bias
        packed[:, 0, :] = bp.reshape(p, GEMM_NR)
    return packed


def _is_depthwise(m, cg, group):
    return cg == 1 and group == m


def pack_conv2d_nhwc(w, bias=None, group=1):
    """Pack ONNX conv weights w [M, C/group, KH, KW] and bias [M] (or None) for
    bind_conv2d_nhwc. Depthwise (C/group == 1 and group == M): shape
    (1 + KH*KW, round_up(M, 4)), row 0 the bias, row 1 + kh*KW + kw the tap.
    Otherwise (group, ceil(Mg / GEMM_NR), 1 + KH*KW*Cg, GEMM_NR): per group,
    panels of GEMM_NR output channels, bias first, then rows tap-major
    ((kh, kw) outer, input channel inner)."""
    w = _f32(w, "w")
    if w.ndim != 4:
        raise ValueError(f"pack_conv2d_nhwc: w must be 4-D [M, C/group, KH, KW], got {w.shape}")
    m, cg, kh, kw = w.shape
    if group < 1 or m % group:
        raise ValueError(f"pack_conv2d_nhwc: group {group} must divide M = {m}")
    if bias is not None:
        bias = _f32(bias, "bias").reshape(-1)
        if bias.shape[0] != m:
            raise ValueError(f"pack_conv2d_nhwc: bias has {bias.shape[0]} values, expected M = {m}")
    if _is_depthwise(m, cg, group):
        cp = (m + 3) & ~3
        packed = np.zeros((1 + kh * kw, cp), np.float32)
        packed[1:, :m] = w.reshape(m, kh * kw).T
        if bias is not None:
            packed[0, :m] = bias
        return packed
    mg = m // group
    out = np.empty((group, _panels(mg), 1 + kh * kw * cg, GEMM_NR), np.float32)
    for g in range(group):
        wg = w[g * mg:(g + 1) * mg]                               # [Mg, Cg, KH, KW]
        b = wg.transpose(2, 3, 1, 0).reshape(kh * kw * cg, mg)    # [(kh, kw, c), Mg]
        out[g] = pack_gemm(b, None if bias is None else bias[g * mg:(g + 1) * mg])
    return out


def _check_packed(packed, shape, what):
    if not isinstance(packed, np.ndarray) or packed.dtype != _F32 or not packed.flags.c_contiguous:
        raise ValueError(f"{what}: packed weights must be a C-contiguous float32 array from the pack function")
    if packed.shape != tuple(shape):
        raise ValueError(f"{what}: packed weights have shape {packed.shape}, expected {tuple(shape)} "
                         "(packed for another shape, group or kernel build?)")


def _call_all(calls):
    """A runner for a list of (f, args): one call, or a loop."""
    if len(calls) == 1:
        f, args = calls[0]

        def run(f=f, args=args):
            f(*args)
        return run

    def run_all(calls=tuple(calls)):
        for f, args in calls:
            f(*args)
    return run_all


def _bound(calls, keep):
    run = _call_all(calls)
    run.keep = keep   # the arrays (and scratch buffers) the pointers refer to
    return run


def bind_gemm_packed(a, packed, out, lo=-np.inf, hi=np.inf):
    """Validate out[m, n] = clamp(a[m, k] @ B + bias, lo, hi), B and bias packed by
    pack_gemm, and return a runner. a, out: 2-D float32 with contiguous rows."""
    f = _func("f32_gemm_4x8_minmax__wasmsimd")
    _check(a, "a", 2, contiguous=False)
    _check(out, "out", 2, contiguous=False)
    m, k = a.shape
    if out.shape[0] != m:
        raise ValueError(f"gemm_packed: out has {out.shape[0]} rows, a has {m}")
    n = out.shape[1]
    _check_packed(packed, (_panels(n), k + 1, GEMM_NR), "gemm_packed")
    sa, sc = _row_stride(a, "a"), _row_stride(out, "out")
    pa, pw, pc = a.ctypes.data, packed.ctypes.data, out.ctypes.data
    _check_out(out, _span(pc, out, sc), (("a", _span(pa, a, sa)), ("packed", _span(pw, packed))))
    p = params(lo, hi)
    if m == 0 or n == 0:
        return _nothing
    return _bound([(f, (m, n, k, pa, sa, pw, pc, sc, p.ctypes.data))], (a, packed, out, p))


def _conv_geometry(what, h, w, kernel_shape, strides, pads, dilations):
    kh, kw = (int(v) for v in kernel_shape)
    strides, pads, dilations = tuple(strides), tuple(pads), tuple(dilations)
    if len(strides) != 2 or len(dilations) != 2 or len(pads) != 4:
        raise ValueError(f"{what}: strides and dilations need 2 values, pads 4 (top, left, bottom, right)")
    if min(strides) < 1 or min(dilations) < 1 or min(pads) < 0 or min(kh, kw) < 1:
        raise ValueError(f"{what}: strides {strides}, dilations {dilations}, kernel {(kh, kw)} must be >= 1, "
                         f"pads {pads} >= 0")
    oh, ow = conv_output_hw(h, w, kh, kw, strides, pads, dilations)
    if oh < 1 or ow < 1:
        raise ValueError(f"{what}: output would be empty ({oh} x {ow})")
    for size, o, s, d, k_, p0, p1 in ((h, oh, strides[0], dilations[0], kh, pads[0], pads[2]),
                                      (w, ow, strides[1], dilations[1], kw, pads[1], pads[3])):
        if size + p0 + p1 + (o + 4) * s + d * k_ >= _INT32_LIMIT:
            raise ValueError(f"{what}: sizes, pads, strides or dilations too large for the kernel")
    return kh, kw, strides, pads, dilations, oh, ow


def _indirection(px, n, h, w, c, kh, kw, strides, pads, dilations, oh, ow):
    """uint32 [n*oh*ow, kh*kw]: the address of input pixel (b, ih, iw, 0) of every
    tap of every output pixel, or 0 where the tap falls in the padding."""
    ih = (np.arange(oh) * strides[0] - pads[0])[:, None] + np.arange(kh) * dilations[0]   # [oh, kh]
    iw = (np.arange(ow) * strides[1] - pads[1])[:, None] + np.arange(kw) * dilations[1]   # [ow, kw]
    ih4 = ih[:, None, :, None]
    iw4 = iw[None, :, None, :]
    valid = (ih4 >= 0) & (ih4 < h) & (iw4 >= 0) & (iw4 < w)                              # [oh, ow, kh, kw]
    pix = ih4 * w + iw4
    img = (np.arange(n) * (h * w))[:, None, None, None, None]
    addr = px + 4 * c * (img + pix[None]).astype(np.int64)
    addr = np.where(valid[None], addr, 0)
    return np.ascontiguousarray(addr.reshape(n * oh * ow, kh * kw).astype(np.uint32))


# The indirect GEMM gathers mb output pixels' taps (mb rows of KH*KW*Cg floats)
# into a scratch buffer per chunk: about this many floats (1 MiB: L2-sized), at
# least IGEMM_MIN_ROWS rows, a multiple of 4 (the tile's MR). Each chunk streams
# all the weights once, so ResNet-18's layer4 (9.4 MB of weights, 49 pixels)
# wants one chunk: 32 KiB chunks made that 3x3 conv 9.8 ms in the model, 1 MiB
# 7.3 ms (2 MiB: no better). Tests lower it to force many chunks.
IGEMM_SCRATCH_FLOATS = 262144
IGEMM_MIN_ROWS = 4


class _Scratch:
    buf = np.zeros(0, np.float32)


def _scratch(nfloats):
    """A float32 buffer of >= nfloats, shared by every bound indirect GEMM (they
    run one at a time; each runner keeps the array it was bound to alive)."""
    if _Scratch.buf.size < nfloats:
        _Scratch.buf = np.zeros(nfloats, np.float32)
    return _Scratch.buf


def igemm_rows(kk, m):
    """Rows per chunk of the indirect GEMM for KK = KH*KW*Cg and m output pixels."""
    rows = max(IGEMM_MIN_ROWS, (IGEMM_SCRATCH_FLOATS // max(kk, 1)) & ~3)
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


# Winograd F(2x2, 3x3): U = G w G^T per (output channel, input channel).
_WG_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])
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


def _winograd_size(c, m):
    return 16 * _panels(m) * (c + 1) * GEMM_NR + ((m + 3) & ~3)


def pack_conv2d_nhwc_winograd(w, bias=None):
    """Pack 3x3 conv weights w [M, C, 3, 3] and bias [M] (or None) for
    bind_conv2d_nhwc_winograd: 1-D float32, the 16 matrices U_t [C, M] of
    G w G^T (computed in float64) each packed like pack_gemm (zero bias),
    then the bias zero-padded to round_up(M, 4)."""
    w = _f32(w, "w")
    if w.ndim != 4 or w.shape[2:] != (3, 3):
        raise ValueError(f"pack_conv2d_nhwc_winograd: w must be [M, C, 3, 3], got {w.shape}")
    m, c = w.shape[:2]
    u = np.einsum("ik,mckl,jl->ijcm", _WG_G, w.astype(np.float64), _WG_G).reshape(16, c, m)
    b = np.zeros((m + 3) & ~3, np.float32)
    if bias is not None:
        bias = _f32(bias, "bias").reshape(-1)
        if bias.shape[0] != m:
            raise ValueError(f"pack_conv2d_nhwc_winograd: bias has {bias.shape[0]} values, expected M = {m}")
        b[:m] = bias
    return np.concatenate([np.stack([pack_gemm(u[q]) for q in range(16)]).reshape(-1), b])


# Tiles per chunk of the Winograd conv: scratch holds 16 * tiles * (C + M)
# floats, about this many (1 MiB), at least 4 tiles.
WINOGRAD_SCRATCH_FLOATS = 262144


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
    tiles = min(total, max(4, (WINOGRAD_SCRATCH_FLOATS // (16 * (c + m))) & ~3))
    scratch = _scratch(16 * tiles * (c + m))
    ps = scratch.ctypes.data
    _check_out(scratch, _span(ps, scratch), (("x", _span(px, x)), ("packed", _span(pw, packed)),
                                             ("out", _span(py, out))))
    shape = np.array([n_, h, wd, c, m, oh, ow, pads[0], pads[1]], np.int32)
    return _bound([(f, (px, pw, py, shape.ctypes.data, ps, tiles, p.ctypes.data))], (x, packed, out, shape, scratch, p))


# ---- elementwise, pooling, softmax -------------------------------------------

UNARY_OPS = {"clamp": "f32_vclamp__wasmsimd", "hardswish": "f32_vhswish__wasmsimd",
             "sigmoid": "f32_vsigmoid__wasmsimd", "silu": "f32_vsilu__wasmsimd",
             "exp": "f32_vexp__wasmsimd"}
BINARY_OPS = {"add": 0, "sub": 1, "mul": 2, "div": 3, "min": 4, "max": 5}


def _same_or_disjoint(out, arr, name):
    """"same" when out is exactly arr's memory (same address and layout), else
    require no overlap."""
    if out.ctypes.data == arr.ctypes.data and out.shape == arr.shape and out.strides == arr.strides:
        return "same"
    _check_out(out, _span(out.ctypes.data, out), ((name, _span(arr.ctypes.data, arr)),))
    return "disjoint"


def bind_unary(op, x, out, lo=-np.inf, hi=np.inf):
    """Validate out = clamp(OP(x), lo, hi) elementwise (op in UNARY_OPS) and return a
    runner. x, out: float32, C-contiguous, same shape; out may be x itself."""
    if op not in UNARY_OPS:
        raise ValueError(f"unary: unknown op {op!r} (known: {sorted(UNARY_OPS)})")
    f = _func(UNARY_OPS[op])
    _check(x, "x", x.ndim if isinstance(x, np.ndarray) else 0)
    _check(out, "out", out.ndim if isinstance(out, np.ndarray) else 0)
    if out.shape != x.shape:
        raise ValueError(f"unary: out shape {out.shape} differs from x shape {x.shape}")
    if not out.flags.writeable:
        raise ValueError("out: array is read-only")
    _same_or_disjoint(out, x, "x")
    p = params(lo, hi)
    if x.size == 0:
        return _nothing
    return _bound([(f, (x.size, x.ctypes.data, out.ctypes.data, p.ctypes.data))], (x, out, p))


def _fold_broadcast(shape, sa, sb):
    """Drop size-1 dims and merge dims that are contiguous for both operands."""
    dims = [[d, a, b] for d, a, b in zip(shape, sa, sb) if d != 1]
    merged = []
    for d, a, b in dims:
        if merged and merged[-1][1] == a * d and merged[-1][2] == b * d:
            merged[-1] = [merged[-1][0] * d, a, b]
        else:
            merged.append([d, a, b])
    return merged


def bind_binary(op, a, b, out, lo=-np.inf, hi=np.inf):
    """Validate out = clamp(a OP b, lo, hi) with numpy broadcasting (op in BINARY_OPS)
    and return a runner. a, b, out: float32, C-contiguous; out has the broadcast
    shape; out may be a or b itself when that operand has out's shape."""
    if op not in BINARY_OPS:
        raise ValueError(f"binary: unknown op {op!r} (known: {sorted(BINARY_OPS)})")
    f = _func("f32_vbinary_minmax__wasmsimd")
    for arr, name in ((a, "a"), (b, "b"), (out, "out")):
        _check(arr, name, arr.ndim if isinstance(arr, np.ndarray) else 0)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"binary: shapes {a.shape} and {b.shape} do not broadcast") from None
    if out.shape != shape:
        raise ValueError(f"binary: out must have shape {shape}, got {out.shape}")
    if not out.flags.writeable:
        raise ValueError("out: array is read-only")
    for arr, name in ((a, "a"), (b, "b")):
        if _same_or_disjoint(out, arr, name) == "same" and arr.shape != shape:
            raise ValueError(f"binary: out may alias {name} only when {name} is not broadcast")
    p = params(lo, hi)
    if out.size == 0:
        return _nothing
    sa = [s // 4 for s in np.broadcast_to(a, shape).strides]
    sb = [s // 4 for s in np.broadcast_to(b, shape).strides]
    dims = _fold_broadcast(shape, sa, sb)
    if not dims:
        dims = [[1, 1, 1]]
    if len(dims) > 3 or dims[-1][1] not in (0, 1) or dims[-1][2] not in (0, 1):
        raise ValueError(f"binary: broadcasting {a.shape} with {b.shape} does not fold into 3 dims")
    dims = [[1, 0, 0]] * (3 - len(dims)) + dims
    geo = np.array([d[0] for d in dims] + [d[1] for d in dims] + [d[2] for d in dims], np.int32)
    args = (BINARY_OPS[op], a.ctypes.data, b.ctypes.data, out.ctypes.data, geo.ctypes.data, p.ctypes.data)
    return _bound([(f, args)], (a, b, out, geo, p))


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
    strides, pads (top, left, bottom, right) and dilations (floor; for ceil_mode
    pass the extra end padding in pads). Average divides by the window taps
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


def bind_softmax(x, out):
    """Validate out = softmax(x) over the last axis and return a runner. x, out:
    float32, C-contiguous, same shape; out may be x itself."""
    f = _func("f32_softmax__wasmsimd")
    _check(x, "x", x.ndim if isinstance(x, np.ndarray) else 0)
    _check(out, "out", out.ndim if isinstance(out, np.ndarray) else 0)
    if out.shape != x.shape or x.ndim < 1:
        raise ValueError(f"softmax: out shape {out.shape} must equal x shape {x.shape} (at least 1-D)")
    if not out.flags.writeable:
        raise ValueError("out: array is read-only")
    _same_or_disjoint(out, x, "x")
    p = params(-np.inf, np.inf)
    if x.size == 0:
        return _nothing
    cols = x.shape[-1]
    return _bound([(f, (x.size // cols, cols, x.ctypes.data, out.ctypes.data, p.ctypes.data))], (x, out, p))
