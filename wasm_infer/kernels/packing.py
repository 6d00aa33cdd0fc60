"""Weights packed once, at session creation, into the float32 layouts the
NHWC / packed-GEMM kernels read (zero-padded, so no kernel reads past them):

  pack_gemm(b, bias=None, trans_b=False, alpha=1.0) -> packed
      b [K, N] (or [N, K] with trans_b, as ONNX Gemm's B), bias [N] or None:
      alpha * B and the bias in panels of GEMM_NR columns, shape
      (ceil(N / GEMM_NR), K + 1, GEMM_NR).
  pack_conv2d_nhwc(w, bias=None, group=1) -> packed
      w ONNX [M, C/group, KH, KW], bias [M] or None. Depthwise (C/group == 1
      and group == M, i.e. channel multiplier 1): shape (1 + KH*KW, round_up(M, 4));
      otherwise (group, ceil(Mg / GEMM_NR), 1 + KH*KW*Cg, GEMM_NR).
  pack_conv2d_nhwc_winograd(w, bias=None) -> packed
      w [M, C, 3, 3]: 1-D, the 16 Winograd F(2x2, 3x3) matrices each packed
      like pack_gemm, then the bias.
"""
import numpy as np

GEMM_NR = 8        # columns per packed panel (the 4x8 tile's NR)


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
    w = b.T if trans_b else b                                       # [K, N]
    k, n = w.shape
    p = _panels(n)
    packed = np.zeros((p, k + 1, GEMM_NR), np.float32)
    wp = np.zeros((k, p * GEMM_NR), np.float32)
    wp[:, :n] = w if alpha == 1.0 else w.astype(np.float64) * alpha
    # rows of GEMM_NR floats move as one 32-byte element: NumPy's copy then loops along K, not
    # over 8 floats at a time (MiniLM's 384 x 1536 weights in Pyodide: 8.7 -> 1.4 ms)
    row = np.dtype((np.void, 4 * GEMM_NR))
    packed.view(row)[:, 1:, 0] = wp.view(row).T
    if bias is not None:
        bias = _f32(bias, "bias").reshape(-1)
        if bias.shape[0] != n:
            raise ValueError(f"pack_gemm: bias has {bias.shape[0]} values, expected N = {n}")
        bp = np.zeros(p * GEMM_NR, np.float32)
        bp[:n] = bias
        packed[:, 0, :] = bp.reshape(p, GEMM_NR)
    return packed


def pack_k_pairs(cols, out):
    """Write int16 weights `cols` [panels * 8, K] (a row per output column, K
    even) into `out` [panels, 8 * K] as the int8 GEMMs read them: per panel,
    for each pair of k, the 8 columns' (k, k + 1) pairs. Each pair moves as one
    int32, so NumPy's copy loops along K, not over int16s two by two."""
    panels, k = out.shape[0], cols.shape[1]
    pairs = cols.view(np.int32).reshape(panels, 8, k // 2).transpose(0, 2, 1)
    out.view(np.int32).reshape(panels, k // 2, 8)[...] = pairs


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


# Winograd F(2x2, 3x3): U = G w G^T per (output channel, input channel).
_WG_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def _winograd_size(c, m):
    """Floats in pack_conv2d_nhwc_winograd's output for C input and M output channels."""
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
    # G w G^T as two batched products of 3-wide matrices: a three-operand einsum loops over all
    # six indices at once in NumPy's generic iterator (yolov8n's 32 Winograd convs: 0.25 s of its
    # first run in Pyodide, for weights of under 3 MB)
    t = np.swapaxes(w.astype(np.float64) @ _WG_G.T, 2, 3)     # [M, C, j, k] = (w G^T)^T
    u = (t @ _WG_G.T).transpose(3, 2, 1, 0).reshape(16, c, m)    # [i, j, C, M] = (G w G^T)[i, j]
    b = np.zeros((m + 3) & ~3, np.float32)
    if bias is not None:
        bias = _f32(bias, "bias").reshape(-1)
        if bias.shape[0] != m:
            raise ValueError(f"pack_conv2d_nhwc_winograd: bias has {bias.shape[0]} values, expected M = {m}")
        b[:m] = bias
    return np.concatenate([np.stack([pack_gemm(u[q]) for q in range(16)]).reshape(-1), b])
