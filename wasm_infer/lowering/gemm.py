"""GEMM family: MatMul, Gemm and FusedMatMul (MatMul/Gemm + bias + clamp) on
the 4x8 GEMM kernels. A constant B is packed once into column panels with
alpha and the bias folded in (kernels.pack_gemm); a B computed at run time
goes through the unpacked GEMM, one call per matrix of a batched MatMul."""
import numpy as np

from ..ops.internal import DOMAIN
from . import F32, Lowered, NotApplicable, cached, given, is_f32, lowering, size


def _packed(k, a, packed, out, lo=-np.inf, hi=np.inf):
    n = out.shape[-1]
    return k.bind_gemm_packed(a.reshape(size(a.shape[:-1]), a.shape[-1]), packed,
                              out.reshape(size(out.shape[:-1]), n), lo, hi)


@lowering("MatMul")
def matmul(op, specs, k):
    a, b = specs[0], specs[1]
    if is_f32(a) and is_f32(b) and len(a[0]) >= 2 and len(b[0]) > 2:
        return _batched(a[0], b[0], k)
    if not (is_f32(a) and is_f32(b, 2) and len(a[0]) >= 1 and a[0][-1] == b[0][0]):
        return NotApplicable("needs float32 a [..., K] and b [K, N], or a [..., M, K] and b [..., K, N]")
    out = [(tuple(a[0][:-1]) + (b[0][1],), F32)]
    w = op.constant(1)
    if w is not None:
        packed = cached(op, "packed_b", lambda: k.pack_gemm(np.ascontiguousarray(w, np.float32)))
        return Lowered(out, lambda ins, outs: _packed(k, ins[0], packed, outs[0]), "f32_gemm_4x8_minmax")
    # b computed at run time (2-D): a's leading axes are rows of one GEMM.
    return Lowered(out, lambda ins, outs: k.bind_gemm(ins[0].reshape(-1, a[0][-1]), ins[1], None,
                                                       outs[0].reshape(-1, b[0][1])), "f32_gemm_minmax")


# Below this many multiply-adds per matrix, a kernel call each (about 1 us of
# call overhead in Pyodide) costs more than NumPy's own loop over a stack of
# small matrices (about 1 GFLOPS).
SMALL_MATMUL = 512


def _batched(sa, sb, k):
    """a [..., M, K] @ b [..., K, N], leading axes broadcast (attention's
    [B, H, S, D] @ [B, H, D, S]): one unpacked GEMM per output matrix, each on
    its own views of a, b and out (size-1 leading axes repeat)."""
    if sa[-1] != sb[-2]:
        return NotApplicable(f"cannot multiply {list(sa)} by {list(sb)}")
    batch = np.broadcast_shapes(tuple(sa[:-2]), tuple(sb[:-2]))     # ValueError: lower() says why
    if size(batch) > 1 and sa[-2] * sa[-1] * sb[-1] < SMALL_MATMUL:
        return NotApplicable(f"{size(batch)} matrices of {sa[-2]}x{sa[-1]} @ {sa[-1]}x{sb[-1]}: "
                             "too small for a kernel call each")
    out = [(batch + (sa[-2], sb[-1]), F32)]

    def pick(x, idx):
        x = x.reshape((1,) * (len(batch) + 2 - x.ndim) + x.shape)
        return x[tuple(i if d != 1 else 0 for i, d in zip(idx, x.shape[:-2]))]

    def bind(ins, outs):
        runners = [k.bind_gemm(pick(ins[0], idx), pick(ins[1], idx), None, outs[0][idx])
                   for idx in np.ndindex(*batch)]

        def run(runners=runners):
            for r in runners:
                r()
        return run
    return Lowered(out, bind, "f32_gemm_minmax")


def _gemm_bias(op, c, n):
    """beta * C as a per-column float32 bias [N], or None when C varies by row."""
    if c is None or op.attr("beta", 1.0) == 0:
        return np.zeros(n, np.float32)
    c = np.asarray(c)
    if c.dtype != F32 or c.ndim > 2 or (c.ndim == 2 and c.shape[0] != 1) or c.size not in (1, n):
        return None
    return np.broadcast_to(op.attr("beta", 1.0) * c.reshape(-1), (n,)).astype(np.float32)


@lowering("Gemm")
def gemm(op, specs, k):
    a = specs[0]
    w = op.constant(1)
    if op.attr("transA", 0) or w is None or w.dtype != F32 or w.ndim != 2 or not is_f32(a, 2):
        return NotApplicable("needs float32 A [M, K] (transA = 0) and a constant float32 B")
    trans_b = bool(op.attr("transB", 0))
    kk, n = (w.shape[1], w.shape[0]) if trans_b else w.shape
    if a[0][1] != kk:
        return NotApplicable(f"A has {a[0][1]} columns, B {kk} rows")
    c = op.constant(2) if given(specs, 2) else None
    if given(specs, 2) and c is None:
        return NotApplicable("C is computed at run time")
    bias = cached(op, "bias", lambda: _gemm_bias(op, c, n))
    if bias is None:
        return NotApplicable(f"C of shape {list(np.shape(c))} is not one bias per column")
    packed = cached(op, "packed_b", lambda: k.pack_gemm(w, bias, trans_b, op.attr("alpha", 1.0)))
    return Lowered([((a[0][0], n), F32)], lambda ins, outs: _packed(k, ins[0], packed, outs[0]),
                   "f32_gemm_4x8_minmax")


@lowering("FusedMatMul", domain=DOMAIN)
def fused_matmul(op, specs, k):
    a = specs[0]
    w, bias = op.constant(1), op.constant(2)
    if w is None or w.dtype != F32 or w.ndim != 2 or not is_f32(a) or a[0][-1] != w.shape[0]:
        return NotApplicable("needs float32 a [..., K] and a constant float32 b [K, N]")
    if given(specs, 2) and (bias is None or bias.dtype != F32):
        return NotApplicable("the bias is not a constant float32")
    lo = float(op.attr("activation_min", -np.inf))
    hi = float(op.attr("activation_max", np.inf))
    packed = cached(op, "packed_b", lambda: k.pack_gemm(w, None if bias is None else bias.reshape(-1)))
    return Lowered([(tuple(a[0][:-1]) + (w.shape[1],), F32)],
                   lambda ins, outs: _packed(k, ins[0], packed, outs[0], lo, hi), "f32_gemm_4x8_minmax")
