import numpy as np

from ._int_conv import int_conv, per_channel
from .base import Op, register


@register("ConvInteger", since=10)
class ConvInteger(Op):
    """Conv of (x - x_zero_point) and (w - w_zero_point) with int32 output;
    a 1-D w_zero_point is per output channel."""

    def init(self):
        self.group = self.attr("group", 1)

    def run(self, x, w, x_zero_point=None, w_zero_point=None):
        x32 = x.astype(np.int32)
        if x_zero_point is not None:
            x32 = x32 - np.asarray(x_zero_point).astype(np.int32).reshape(())
        w32 = w.astype(np.int32)
        if w_zero_point is not None:
            w32 = w32 - per_channel(w_zero_point, w.ndim).astype(np.int32)
        return (int_conv(self, x32, w32, self.group).astype(np.int32),)
