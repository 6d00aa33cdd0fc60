"""Where(IsNaN(x), value, x) with a constant one-element value, found by the
`fuse_nan_guard` pass (torch exports it after an attention Softmax to zero
the rows a mask hides entirely): inputs x and value, y = the two ops' result,
computed as they compute it (NumPy broadcasting of x with value, the
output in the value's dtype, which a valid Where shares with x).
Internal op: models never contain it."""
import numpy as np

from .base import Op, register
from .internal import DOMAIN


@register("ReplaceNaN", since=1, domain=DOMAIN)
class ReplaceNaN(Op):
    # no layout trait: value may have a rank of its own (torch writes [1]), which
    # broadcasting puts on the left of x's axes; attention has no NHWC regions anyway
    inplace = (0,)

    def run(self, x, value):
        out = np.where(np.isnan(x), value, x)
        return (out if out.dtype == value.dtype else out.astype(value.dtype),)
