import numpy as np

from .base import Op, register
from ._elementwise import kernel_unary


@register("Clip", since=6)
class Clip6(Op):
    """min/max as attributes."""
    def init(self):
        self.lo = self.attr("min", -3.4028234663852886e38)
        self.hi = self.attr("max", 3.4028234663852886e38)

    def run(self, x):
        return (np.clip(x, self.lo, self.hi).astype(x.dtype),)


@register("Clip", since=11)
class Clip(Op):
    """min/max as optional inputs; absent means unbounded."""
    inplace = (0,)

    def bindable(self, inputs):
        given = [i for i in (1, 2) if len(inputs) > i and inputs[i] is not None]
        return (inputs[0] is not None and inputs[0][1] in (np.float32, np.float64)
                and all(self.constant(i) is not None and self.constant(i).size == 1 for i in given))

    def bind(self, inputs, outputs):
        x, out = inputs[0], outputs[0]
        lo, hi = (inputs[i].astype(x.dtype).reshape(()) if len(inputs) > i and inputs[i] is not None else None
                  for i in (1, 2))
        if not (lo is not None and hi is not None and not lo <= hi):
            fast = kernel_unary(self, "clamp", x, out, -np.inf if lo is None else float(lo),
                                np.inf if hi is None else float(hi))
            if fast is not None:
                return fast
        if lo is None and hi is None:
            return lambda: np.copyto(out, x)
        if lo is None:
            return lambda: np.minimum(x, hi, out=out)
        if hi is None:
            return lambda: np.maximum(x, lo, out=out)

        def run():
            np.maximum(x, lo, out=out)
            np.minimum(out, hi, out=out)
        return run

    def run(self, x, lo=None, hi=None):
        if lo is not None:
            x = np.maximum(x, lo.astype(x.dtype))
        if hi is not None:
            x = np.minimum(x, hi.astype(x.dtype))
        return (np.array(x) if not isinstance(x, np.ndarray) else x,)
