import math

import numpy as np

from ..limits import check_output, deadline_check
from .base import Op, register


@register("MaxRoiPool", since=1)
class MaxRoiPool(Op):
    """Fast R-CNN RoI max pooling (Caffe rounding): each RoI
    [batch, x1, y1, x2, y2] is scaled, rounded to whole pixels and split into
    pooled_shape bins; an empty bin yields 0."""
    def init(self):
        self.ph, self.pw = (int(v) for v in self.required_attr("pooled_shape"))
        self.scale = float(self.attr("spatial_scale", 1.0))

    def run(self, x, rois):
        h, w = x.shape[2:]
        check_output(self, (rois.shape[0], x.shape[1], self.ph, self.pw), x.dtype.itemsize)   # pooled_shape: any size
        y = np.zeros((rois.shape[0], x.shape[1], self.ph, self.pw), x.dtype)
        tick = deadline_check(self)     # a Python step per bin: pooled_shape may ask for millions
        for r, roi in enumerate(rois.astype(np.float64)):
            b = int(roi[0])
            # C rounding (half away from zero), not Python's half-to-even.
            x1, y1, x2, y2 = (int(np.copysign(np.floor(abs(v * self.scale) + 0.5), v)) for v in roi[1:5])
            bin_h = max(y2 - y1 + 1, 1) / self.ph
            bin_w = max(x2 - x1 + 1, 1) / self.pw
            for i in range(self.ph):
                hs = min(max(int(math.floor(i * bin_h)) + y1, 0), h)
                he = min(max(int(math.ceil((i + 1) * bin_h)) + y1, 0), h)
                for j in range(self.pw):
                    tick()
                    ws = min(max(int(math.floor(j * bin_w)) + x1, 0), w)
                    we = min(max(int(math.ceil((j + 1) * bin_w)) + x1, 0), w)
                    if he > hs and we > ws:
                        y[r, :, i, j] = x[b, :, hs:he, ws:we].max(axis=(1, 2))
        return (y,)
