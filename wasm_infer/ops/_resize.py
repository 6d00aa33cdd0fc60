"""Resize as a separable product: every resized axis is a (out, in) weight
matrix (nearest, linear, cubic, with antialias and exclude_outside folded
in) applied along that axis. N-linear and N-cubic interpolation factor this
way exactly; tf_crop_and_resize's extrapolation is a per-axis mask."""
import numpy as np


def source_coords(mode, out_len, in_len, scale, roi=(0.0, 1.0)):
    """x_original for every output index along one axis (float64). `scale`
    may be the float the user gave, so the nominal output width
    scale * in_len can be fractional; `out_len` is the integer one."""
    x = np.arange(out_len, dtype=np.float64)
    width = scale * in_len
    if abs(width - out_len) < 1e-9 * max(out_len, 1):   # sizes given: avoid s / in * in round-off
        width = float(out_len)
    if mode == "half_pixel":
        return (x + 0.5) / scale - 0.5
    if mode == "half_pixel_symmetric":
        offset = in_len / 2 * (1 - out_len / width)
        return offset + (x + 0.5) / scale - 0.5
    if mode == "pytorch_half_pixel":
        return (x + 0.5) / scale - 0.5 if out_len > 1 else np.zeros_like(x)
    if mode == "align_corners":
        return x * (in_len - 1) / (width - 1) if width != 1 else np.zeros_like(x)
    if mode == "asymmetric":
        return x / scale
    if mode == "tf_crop_and_resize":
        start, end = roi
        if width == 1:
            return np.full_like(x, 0.5 * (start + end) * (in_len - 1))
        return start * (in_len - 1) + x * (end - start) * (in_len - 1) / (width - 1)
    raise ValueError(f"unknown coordinate_transformation_mode {mode!r}")


def nearest_index(xo, in_len, nearest_mode, shrinking=False):
    """Integer source index per output, clamped to the input."""
    if nearest_mode == "round_prefer_floor":
        i = np.ceil(xo - 0.5)
    elif nearest_mode == "round_prefer_ceil":
        i = np.floor(xo + 0.5)
    elif nearest_mode == "floor":
        i = np.floor(xo)
    elif nearest_mode == "ceil":
        i = np.ceil(xo)
    elif nearest_mode == "simple":      # Upsample / Resize-10 (as onnxruntime): floor, ceil when shrinking
        i = np.ceil(xo) if shrinking else np.floor(xo)
    else:
        raise ValueError(f"unknown nearest_mode {nearest_mode!r}")
    return np.clip(i, 0, in_len - 1).astype(np.intp)


def _cubic(t, a):
    t = np.abs(t)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return np.where(t <= 1, near, np.where(t < 2, far, 0.0))


def filter_matrix(xo, in_len, mode, scale, antialias, cubic_a, exclude_outside):
    """(out, in) weights for linear/cubic interpolation at positions xo.
    Antialias stretches the filter by 1/scale when shrinking. Taps outside
    the input read the edge sample, or get weight 0 (and the rest is
    renormalised) with exclude_outside."""
    s = min(scale, 1.0) if antialias else 1.0
    radius = 1 if mode == "linear" else 2
    first = int(np.floor(-radius / s)) + 1          # tap offsets [first, 1 - first] around base
    offsets = np.arange(first, 2 - first)
    # base is the sample just left of xo, with xo - base in (0, 1].
    base = np.ceil(xo) - 1
    idx = base[:, None] + offsets[None, :]
    t = (idx - xo[:, None]) * s
    w = np.clip(1 - np.abs(t), 0, None) if mode == "linear" else _cubic(t, cubic_a)
    if s != 1.0:
        w = w / w.sum(axis=1, keepdims=True)
    inside = (idx >= 0) & (idx < in_len)
    if exclude_outside:
        w = np.where(inside, w, 0.0)
        w = w / w.sum(axis=1, keepdims=True)
    m = np.zeros((len(xo), in_len))
    rows = np.broadcast_to(np.arange(len(xo))[:, None], idx.shape)
    np.add.at(m, (rows.astype(np.intp), np.clip(idx, 0, in_len - 1).astype(np.intp)), w)
    return m


def apply_axis(x, axis, matrix):
    """Contract `matrix` (out, in) with x along `axis`."""
    y = np.tensordot(matrix, x, axes=([1], [axis]))
    return np.moveaxis(y, 0, axis)
