"""Softmax binder.

  bind_softmax(x, out, axis=-1, log=False)
      softmax (log=True: log-softmax) over one axis (C-contiguous; out may be
      x): the last on rows (f32_softmax, f32_logsoftmax), any other on x viewed
      as [outer, n, inner], four inner columns at a time (the _strided
      kernels), with no transposes.
"""
import numpy as np

from .checks import _bound, _check, _nothing, _same_or_disjoint, params
from .loader import _func


def bind_softmax(x, out, axis=-1, log=False):
    """Validate out = softmax(x) (log=True: log_softmax(x)) over `axis` and
    return a runner. x, out: float32, C-contiguous, same shape; out may be x."""
    kind = "logsoftmax" if log else "softmax"
    f = _func(f"f32_{kind}__wasmsimd")
    _check(x, "x", x.ndim if isinstance(x, np.ndarray) else 0)
    _check(out, "out", out.ndim if isinstance(out, np.ndarray) else 0)
    if out.shape != x.shape or x.ndim < 1:
        raise ValueError(f"{kind}: out shape {out.shape} must equal x shape {x.shape} (at least 1-D)")
    if not isinstance(axis, (int, np.integer)) or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{kind}: axis {axis!r} out of range for rank {x.ndim}")
    if not out.flags.writeable:
        raise ValueError("out: array is read-only")
    _same_or_disjoint(out, x, "x")
    p = params(-np.inf, np.inf)
    if x.size == 0:
        return _nothing
    axis = int(axis) % x.ndim
    if axis != x.ndim - 1:
        outer, n = int(np.prod(x.shape[:axis])), x.shape[axis]
        return _bound([(_func(f"f32_{kind}_strided__wasmsimd"),
                        (outer, n, x.size // (outer * n), x.ctypes.data, out.ctypes.data, p.ctypes.data))],
                      (x, out, p))
    cols = x.shape[-1]
    return _bound([(f, (x.size // cols, cols, x.ctypes.data, out.ctypes.data, p.ctypes.data))], (x, out, p))
