import numpy as np

from ..errors import InputError
from ..limits import check_output
from .base import Op, register
from ._resize import apply_axis, filter_matrix, nearest_index, source_coords


def check_size(op, x, out_shape, mode):
    """A few bytes of scales or sizes can ask for any size: refused before
    resizing, which interpolates in float64 with an (out, in) weight matrix
    per resized axis (also large when both lengths are)."""
    check_output(op, out_shape, x.dtype.itemsize if mode == "nearest" else 8)
    if mode != "nearest":
        for out_len, in_len in zip(out_shape, x.shape):
            if out_len != in_len:
                check_output(op, (out_len, in_len), 8)


def resize(x, scales, out_shape, roi, mode, coord_mode, nearest_mode, cubic_a=-0.75,
           exclude_outside=False, antialias=False, extrapolation=0.0):
    """Resize every axis whose (scale, size) is not the identity. `scales`,
    `out_shape` and `roi` (pairs of start, end) are given for all axes."""
    integer = not np.issubdtype(x.dtype, np.floating)
    y = x if mode == "nearest" else x.astype(np.float64)
    valid = []
    for axis, (scale, out_len, in_len, r) in enumerate(zip(scales, out_shape, x.shape, roi)):
        if scale == 1.0 and out_len == in_len and coord_mode != "tf_crop_and_resize":
            continue
        xo = source_coords(coord_mode, out_len, in_len, scale, r)
        if coord_mode == "tf_crop_and_resize":
            ok = (xo >= 0) & (xo <= in_len - 1)
            if not ok.all():
                valid.append((axis, ok))
        if mode == "nearest":
            y = np.take(y, nearest_index(xo, in_len, nearest_mode, out_len < in_len), axis=axis)
        else:
            y = apply_axis(y, axis, filter_matrix(xo, in_len, mode, scale, antialias, cubic_a, exclude_outside))
    if valid:
        mask = np.ones(y.shape, bool)
        for axis, ok in valid:
            mask &= ok.reshape(tuple(-1 if a == axis else 1 for a in range(y.ndim)))
        y = np.where(mask, y, extrapolation)
    if integer and y.dtype != x.dtype:
        info = np.iinfo(x.dtype)
        y = np.clip(np.rint(y), info.min, info.max)
    return y.astype(x.dtype, copy=False)


def _present(a):
    return a is not None and a.size > 0


@register("Resize", since=10)
class Resize10(Op):
    """Opset 10: scales only, asymmetric coordinates, Upsample's nearest."""
    def run(self, x, scales):
        self.check_shape("scales", scales, (x.ndim,))
        scales = [float(s) for s in scales]
        out = [int(np.floor(i * s)) for i, s in zip(x.shape, scales)]
        check_size(self, x, out, self.attr("mode", "nearest"))
        return (resize(x, scales, out, [(0.0, 1.0)] * x.ndim, self.attr("mode", "nearest"), "asymmetric",
                       "simple"),)


@register("Resize", since=11)
class Resize(Op):
    """Opsets 11-19. roi/scales/sizes may be absent or empty; `axes`
    (18) restricts them to some axes; keep_aspect_ratio_policy (18) fits
    `sizes` while keeping the aspect ratio; antialias (18) widens the
    linear/cubic filter when shrinking."""
    def init(self):
        self.mode = self.attr("mode", "nearest")
        self.coord_mode = self.attr("coordinate_transformation_mode", "half_pixel")
        self.nearest_mode = self.attr("nearest_mode", "round_prefer_floor")
        self.cubic_a = float(self.attr("cubic_coeff_a", -0.75))
        self.exclude_outside = bool(self.attr("exclude_outside", 0))
        self.antialias = bool(self.attr("antialias", 0))
        self.extrapolation = float(self.attr("extrapolation_value", 0.0))
        self.policy = self.attr("keep_aspect_ratio_policy", "stretch")
        if self.mode not in ("nearest", "linear", "cubic"):
            raise InputError(f"node {self.node.name!r} (Resize): unknown mode {self.mode!r}")

    def run(self, x, roi=None, scales=None, sizes=None):
        rank = x.ndim
        axes = [int(a) % rank for a in self.attr("axes", None) or range(rank)]
        full_scales = [1.0] * rank
        out = list(x.shape)
        if _present(sizes):
            self.check_shape("sizes", sizes, (len(axes),))
            sizes = [int(s) for s in sizes]
            ratios = [s / x.shape[a] for a, s in zip(axes, sizes)]
            if self.policy in ("not_larger", "not_smaller"):
                r = min(ratios) if self.policy == "not_larger" else max(ratios)
                ratios = [r] * len(axes)
                sizes = [int(np.floor(r * x.shape[a] + 0.5)) for a in axes]
            for a, s, r in zip(axes, sizes, ratios):
                out[a], full_scales[a] = s, r
        elif _present(scales):
            self.check_shape("scales", scales, (len(axes),))
            for a, s in zip(axes, scales):
                full_scales[a] = float(s)
                out[a] = int(np.floor(x.shape[a] * float(s)))
        else:
            raise InputError(f"node {self.node.name!r} (Resize): neither scales nor sizes is given")
        full_roi = [(0.0, 1.0)] * rank
        if _present(roi) and self.coord_mode == "tf_crop_and_resize":
            self.check_shape("roi", roi, (2 * len(axes),))
            r = [float(v) for v in roi]
            for i, a in enumerate(axes):
                full_roi[a] = (r[i], r[i + len(axes)])
        check_size(self, x, out, self.mode)
        return (resize(x, full_scales, out, full_roi, self.mode, self.coord_mode, self.nearest_mode, self.cubic_a,
                       self.exclude_outside, self.antialias, self.extrapolation),)
