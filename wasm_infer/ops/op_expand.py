import numpy as np

from ..limits import check_output
from .base import Op, register


@register("Expand", since=8)
class Expand(Op):
    """Bidirectional broadcast: dims of 1 in `shape` keep x's size."""
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x, shape):
        # the size first, in Python ints: a 32-bit NumPy (Pyodide) fails on huge dims with a ValueError
        dims = [int(d) for d in shape]
        rank = max(x.ndim, len(dims))
        a, b = (1,) * (rank - x.ndim) + x.shape, [1] * (rank - len(dims)) + dims
        check_output(self, [p if q == 1 else q for p, q in zip(a, b)], x.dtype.itemsize)
        target = np.broadcast_shapes(x.shape, tuple(dims))
        return (np.array(np.broadcast_to(x, target)),)
