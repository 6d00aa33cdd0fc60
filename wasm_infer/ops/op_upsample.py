import numpy as np

from .base import Op, register
from .op_resize import check_size, resize


def _upsample(op, x, scales):
    op.check_shape("scales", scales, (x.ndim,))
    scales = [float(s) for s in scales]
    out = [int(np.floor(i * s)) for i, s in zip(x.shape, scales)]
    mode = op.attr("mode", "nearest")
    mode = "linear" if mode in ("linear", "bilinear") else mode
    check_size(op, x, out, mode)
    return (resize(x, scales, out, [(0.0, 1.0)] * x.ndim, mode, "asymmetric", "simple"),)


@register("Upsample", since=7)
class Upsample7(Op):
    """Scales as an attribute; asymmetric coordinates (deprecated op)."""
    def run(self, x):
        return _upsample(self, x, self.required_attr("scales"))


@register("Upsample", since=9)
class Upsample(Op):
    def run(self, x, scales):
        return _upsample(self, x, scales)
