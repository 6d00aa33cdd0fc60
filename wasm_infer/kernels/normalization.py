"""Normalization binder.

  bind_layernorm(x, gamma, beta, out, epsilon, lo, hi)
      layer normalization over the last axis (C-contiguous; out may be x),
      with an optional scale and shift per column and the fused clamp.
"""
import numpy as np

from .checks import _check, _nothing, _same_or_disjoint, _span, _bound
from .loader import _func

_F32 = np.dtype(np.float32)


def _vector(v, name, cols, keep):
    """Address of an optional float32 [cols] vector (0 when absent)."""
    if v is None:
        return 0
    _check(v, name, 1)
    if v.shape[0] != cols:
        raise ValueError(f"{name}: expected length {cols} (the last axis of x), got {v.shape[0]}")
    keep.append(v)
    return v.ctypes.data


def bind_layernorm(x, gamma, beta, out, epsilon, lo=-np.inf, hi=np.inf):
    """Validate out = clamp((x - mean) / sqrt(var + epsilon) * gamma + beta, lo, hi)
    with mean and var over the last axis, and return a runner. x, out: float32,
    C-contiguous, same shape (at least 1-D); out may be x itself. gamma, beta:
    float32 [x.shape[-1]] or None; they must not overlap out."""
    f = _func("f32_layernorm_minmax__wasmsimd")
    _check(x, "x", x.ndim if isinstance(x, np.ndarray) else 0)
    _check(out, "out", out.ndim if isinstance(out, np.ndarray) else 0)
    if out.shape != x.shape or x.ndim < 1:
        raise ValueError(f"layernorm: out shape {out.shape} must equal x shape {x.shape} (at least 1-D)")
    if not out.flags.writeable:
        raise ValueError("out: array is read-only")
    eps = float(epsilon)
    if not (eps >= 0 and np.isfinite(eps)):
        raise ValueError(f"layernorm: epsilon must be finite and >= 0, got {epsilon}")
    if not lo <= hi:
        raise ValueError(f"clamp range is empty or NaN: lo={lo}, hi={hi}")
    _same_or_disjoint(out, x, "x")
    cols = x.shape[-1]
    keep = [x, out]
    g, b = _vector(gamma, "gamma", cols, keep), _vector(beta, "beta", cols, keep)
    out_span = _span(out.ctypes.data, out)
    for name, v in (("gamma", gamma), ("beta", beta)):
        if v is not None and out_span is not None:
            s = _span(v.ctypes.data, v)
            if s is not None and s[0] < out_span[1] and out_span[0] < s[1]:
                raise ValueError(f"out must not overlap {name}")
    if x.size == 0:
        return _nothing
    p = np.array([lo, hi, eps], dtype=np.float32)
    keep.append(p)
    return _bound([(f, (x.size // cols, cols, x.ctypes.data, g, b, out.ctypes.data, p.ctypes.data))], tuple(keep))
