import numpy as np

from .base import Op, register


@register("Clip", since=6)
class Clip6(Op):
    """min/max as attributes."""
    layout = "elementwise_unary"

    def init(self):
        self.lo = self.attr("min", -3.4028234663852886e38)
        self.hi = self.attr("max", 3.4028234663852886e38)

    def run(self, x):
        return (np.clip(x, self.lo, self.hi).astype(x.dtype),)


@register("Clip", since=11)
class Clip(Op):
    """min/max as optional inputs; absent means unbounded. A NaN bound is
    ignored and a NaN x stays NaN, as onnxruntime's max(x, lo) = x < lo ? lo : x."""
    layout = "elementwise_unary"
    inplace = (0,)

    def run(self, x, lo=None, hi=None):
        lo, hi = (None if b is not None and b.dtype.kind == "f" and np.isnan(b).any() else b for b in (lo, hi))
        if lo is not None:
            x = np.maximum(x, lo.astype(x.dtype))
        if hi is not None:
            x = np.minimum(x, hi.astype(x.dtype))
        return (np.array(x) if not isinstance(x, np.ndarray) else x,)
