import numpy as np

from ..limits import check_output
from .base import Op, register


@register("CenterCropPad", since=18)
class CenterCropPad(Op):
    """Crop or zero-pad each of `axes` to the wanted length around the
    centre; an odd difference puts the extra element at the end."""
    def run(self, x, shape):
        rank = x.ndim
        axes = [int(a) % rank for a in (self.attr("axes", None) or range(rank))]
        self.check_shape("shape", shape, (len(axes),))
        out_shape = list(x.shape)
        src = [slice(None)] * rank
        dst = [slice(None)] * rank
        for a, n in zip(axes, (int(s) for s in shape)):
            d = abs(x.shape[a] - n)
            window = slice(d // 2, d // 2 + min(n, x.shape[a]))
            if n < x.shape[a]:
                src[a] = window
            elif n > x.shape[a]:
                dst[a] = window
            out_shape[a] = n
        check_output(self, out_shape, x.dtype.itemsize)     # padding to any size asked for
        y = np.zeros(out_shape, x.dtype)
        y[tuple(dst)] = x[tuple(src)]
        return (y,)
