"""The WebAssembly SIMD kernels (kernels_wasm/ built into `_kernels.so`), seen from Python.

Only under Pyodide: the side module is loaded with `ctypes.CDLL` and called on
numpy buffers in Pyodide's own heap (pointers = `arr.ctypes.data`, zero
copies). Anywhere else, or when something is missing, `available()` is False
and callers use their NumPy implementations; `reason()` says why.

Environment switches (read on first use, and again after `reload()`):
  WASM_INFER_BACKEND=numpy   never load the kernels.
  WASM_INFER_KERNELS=/path   load the side module from this path instead of
                             `_kernels.so` next to this file (tests, benchmarks).

The checked wrappers (`gemm`, `conv2d_nchw`) validate dtype, layout and every
shape before calling, raising ValueError, so a kernel can never touch memory
outside the arrays it is given. Validation costs ~10-20 us in Pyodide (mostly
`arr.ctypes.data`, ~2 us each); `bind_gemm` / `bind_conv2d_nchw` validate once
and return a runner that costs about one raw call (~0.6 us in Node): use them
from a plan. `argtypes` is deliberately not set: ctypes is faster without it;
Python ints are passed as C ints, and addresses in [2**31, 2**32) (heap past
2 GiB) are accepted as they are and keep their bits: ctypes tries
`PyLong_AsUnsignedLong` first (checked in tests/node/kernels.test.mjs; it is
also the fast path: a negative int goes through a caught OverflowError).
Floats never go through ctypes: they travel in a small float32 `params`
array {min, max}.

This module imports nothing from wasm_infer, so it can also be loaded on its own.
"""
import ctypes
import os
import sys

import numpy as np

ABI_VERSION = 1
KERNEL_NAMES = ("f32_gemm_minmax__wasmsimd", "f32_conv2d_nchw_minmax__wasmsimd",
                "f32_dwconv2d_nchw_minmax__wasmsimd")

# The smallest module that uses SIMD128: (func (drop (v128.const i32x4 0 0 0 0))).
_SIMD128_PROBE = bytes(
    [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,        # magic, version 1
     0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                    # type section: () -> ()
     0x03, 0x02, 0x01, 0x00,                                # function section: 1 func, type 0
     0x0A, 0x17, 0x01, 0x15, 0x00,                          # code section: 1 body, 21 bytes, no locals
     0xFD, 0x0C] + [0x00] * 16 + [                          # v128.const 0
     0x1A, 0x0B])                                           # drop, end

_INT32_LIMIT = 2 ** 31

_F32 = np.dtype(np.float32)


class _State:
    loaded = False
    lib = None
    funcs = {}
    flavour = "numpy"
    reason = "not loaded yet"
    path = None


def _simd128_supported():
    """Does this engine validate a module using a v128 instruction? (Pyodide only.)"""
    from js import WebAssembly  # noqa: PLC0415 (only exists under Pyodide)
    from pyodide.ffi import to_js  # noqa: PLC0415
    return bool(WebAssembly.validate(to_js(_SIMD128_PROBE)))


def default_path():
    return os.environ.get("WASM_INFER_KERNELS") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "_kernels.so")


def _load():
    _State.loaded = True
    _State.lib, _State.funcs, _State.flavour = None, {}, "numpy"
    if os.environ.get("WASM_INFER_BACKEND", "").lower() == "numpy":
        _State.reason = "disabled by WASM_INFER_BACKEND=numpy"
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
    path = _State.path = default_path()
    if not os.path.exists(path):
        _State.reason = f"kernel module not found at {path}"
        return
    try:
        lib = ctypes.CDLL(path)
        version = lib.wasm_infer_kernels_abi_version()
        if version != ABI_VERSION:
            _State.reason = f"{path} has kernel ABI version {version}, expected {ABI_VERSION}"
            return
        funcs = {name: getattr(lib, name) for name in KERNEL_NAMES}
    except Exception as e:  # noqa: BLE001
        _State.reason = f"loading {path} failed: {type(e).__name__}: {e}"
        return
    _State.lib, _State.funcs, _State.flavour = lib, funcs, "simd128"
    _State.reason = f"loaded {path}"


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
    """"simd128" when the kernels are in use, else "numpy"."""
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
