"""Softmax binder.

  bind_softmax(x, out)
      softmax over the last axis (C-contiguous; out may be x).
"""
import numpy as np

from .checks import _bound, _check, _nothing, _same_or_disjoint, params
from .loader import _func


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
