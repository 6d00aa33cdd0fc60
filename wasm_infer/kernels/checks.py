"""Argument checks shared by the binders, and the runners they return.

Validation in a bind costs ~10-50 us in Pyodide (mostly `arr.ctypes.data`,
~2 us each); the runner costs about one raw call. `argtypes` is deliberately
not set: ctypes is faster without it; Python ints are passed as C ints, and
addresses in [2**31, 2**32) (heap past 2 GiB) are accepted as they are and
keep their bits: ctypes tries `PyLong_AsUnsignedLong` first (checked in
tests/node/kernels.test.mjs). Floats never go through ctypes: they travel in
a small float32 `params` array {min, max}.
"""
import numpy as np

_INT32_LIMIT = 2 ** 31

_F32 = np.dtype(np.float32)

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


def _same_or_disjoint(out, arr, name):
    """"same" when out is exactly arr's memory (same address and layout), else
    require no overlap."""
    if out.ctypes.data == arr.ctypes.data and out.shape == arr.shape and out.strides == arr.strides:
        return "same"
    _check_out(out, _span(out.ctypes.data, out), ((name, _span(arr.ctypes.data, arr)),))
    return "disjoint"


def _check_elementwise(x, out, what):
    """x and out of an elementwise kernel: float32, C-contiguous, one shape; out
    writable and either x itself (in place) or apart from it."""
    _check(x, "x", x.ndim if isinstance(x, np.ndarray) else 0)
    _check(out, "out", out.ndim if isinstance(out, np.ndarray) else 0)
    if out.shape != x.shape:
        raise ValueError(f"{what}: out shape {out.shape} differs from x shape {x.shape}")
    if not out.flags.writeable:
        raise ValueError("out: array is read-only")
    _same_or_disjoint(out, x, "x")


def _check_packed(packed, shape, what):
    if not isinstance(packed, np.ndarray) or packed.dtype != _F32 or not packed.flags.c_contiguous:
        raise ValueError(f"{what}: packed weights must be a C-contiguous float32 array from the pack function")
    if packed.shape != tuple(shape):
        raise ValueError(f"{what}: packed weights have shape {packed.shape}, expected {tuple(shape)} "
                         "(packed for another shape, group or kernel build?)")


def conv_output_hw(h, w, kh, kw, strides, pads, dilations):
    """(OH, OW) of an ONNX Conv; pads = (top, left, bottom, right)."""
    sh, sw = strides
    pt, pl, pb, pr = pads
    dh, dw = dilations
    return ((h + pt + pb - dh * (kh - 1) - 1) // sh + 1,
            (w + pl + pr - dw * (kw - 1) - 1) // sw + 1)


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


# ---- runners -----------------------------------------------------------------
# A binder validates once and returns a zero-argument callable that runs the
# kernel on those very arrays (it keeps them alive).

def _nothing():
    return None


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
