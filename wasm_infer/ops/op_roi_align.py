import numpy as np

from ..limits import check_output
from .base import Op, register


def _axis_samples(start, bin_size, pooled, grid, size):
    """Per output bin and sample: (low, high, weight_low, weight_high), each
    (pooled, grid); samples beyond one pixel outside the image get weight 0."""
    pos = start + np.arange(pooled)[:, None] * bin_size + (np.arange(grid)[None, :] + 0.5) * bin_size / grid
    outside = (pos < -1.0) | (pos > size)
    pos = np.maximum(pos, 0.0)
    low = np.floor(pos).astype(np.int64)
    at_edge = low >= size - 1
    low = np.where(at_edge, size - 1, low)
    high = np.where(at_edge, size - 1, low + 1)
    pos = np.where(at_edge, low, pos)
    frac = pos - low
    keep = ~outside
    return low.astype(np.intp), high.astype(np.intp), (1 - frac) * keep, frac * keep


class _RoiAlign(Op):
    """Each RoI (x1, y1, x2, y2, scaled by spatial_scale) is split into
    output_height x output_width bins, each sampled on a sampling_ratio grid
    (adaptive: ceil(roi size / bins)) with bilinear reads. mode=max keeps,
    as onnxruntime does, the largest *weighted corner* of any sample."""
    default_coord_mode = "half_pixel"

    def run(self, x, rois, batch_indices):
        ph, pw = int(self.attr("output_height", 1)), int(self.attr("output_width", 1))
        ratio = int(self.attr("sampling_ratio", 0))
        scale = float(self.attr("spatial_scale", 1.0))
        half_pixel = self.attr("coordinate_transformation_mode", self.default_coord_mode) == "half_pixel"
        use_max = self.attr("mode", "avg") == "max"
        h, w = x.shape[2:]
        xf = x.astype(np.float64)
        check_output(self, (rois.shape[0], x.shape[1], ph, pw), 8)      # output_height/width: any size
        y = np.zeros((rois.shape[0], x.shape[1], ph, pw))
        offset = 0.5 if half_pixel else 0.0
        # RoI geometry in float32 as onnxruntime computes it: the adaptive
        # grid size ceil(roi / bins) flips on float64 round-off otherwise.
        f32 = np.float32
        for r, (roi, b) in enumerate(zip(rois.astype(f32), batch_indices)):
            x1, y1, x2, y2 = roi * f32(scale) - f32(offset)
            rw, rh = x2 - x1, y2 - y1
            if not half_pixel:
                rw, rh = max(rw, f32(1)), max(rh, f32(1))
            gh = ratio if ratio > 0 else int(np.ceil(rh / f32(ph)))
            gw = ratio if ratio > 0 else int(np.ceil(rw / f32(pw)))
            # the samples of every bin: an adaptive grid grows with the RoI (an input's values), a
            # fixed one is an attribute; either can ask for any size
            check_output(self, (x.shape[1], ph, gh, pw, gw), 8)
            x1, y1, rw, rh = float(x1), float(y1), float(rw), float(rh)
            ylo, yhi, wyl, wyh = _axis_samples(y1, rh / ph, ph, gh, h)
            xlo, xhi, wxl, wxh = _axis_samples(x1, rw / pw, pw, gw, w)
            img = xf[int(b)]
            # Corner values and weights, each (C, ph, gh, pw, gw).
            corners = []
            for yi, wy in ((ylo, wyl), (yhi, wyh)):
                for xi, wx in ((xlo, wxl), (xhi, wxh)):
                    v = img[:, yi[:, :, None, None], xi[None, None, :, :]]
                    corners.append(v * (wy[:, :, None, None] * wx[None, None, :, :]))
            if use_max:
                y[r] = np.max(np.maximum.reduce(corners), axis=(2, 4)) if gh * gw else 0
            else:
                y[r] = np.sum(sum(corners), axis=(2, 4)) / max(gh * gw, 1)
        return (y.astype(x.dtype),)


@register("RoiAlign", since=10)
class RoiAlign10(_RoiAlign):
    """Opset 10 had no coordinate_transformation_mode and did not shift by half a pixel."""
    default_coord_mode = "output_half_pixel"


@register("RoiAlign", since=16)
class RoiAlign(_RoiAlign):
    pass
