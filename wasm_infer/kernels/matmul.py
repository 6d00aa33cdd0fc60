"""GEMM binders (MatMul, Gemm): packed B (what inference uses) and row-major B (the NCHW path).

  bind_gemm_packed(a, packed, out, lo=-inf, hi=inf)
      out[m, n] = clamp(a[m, k] @ B + bias); a, out 2-D with contiguous rows
      (row stride >= row length allowed). Tile 4x8 (SIMD128 and relaxed).
  bind_gemm(a, b, bias, out, lo=-inf, hi=inf) / gemm(...) (validate and run)
      B [K, N] unpacked, row-major.
"""
import numpy as np

from .checks import _bias, _bound, _check, _check_out, _check_packed, _nothing, _row_stride, _span, params
from .loader import _func
from .packing import GEMM_NR, _panels


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
