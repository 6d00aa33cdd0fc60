import numpy as np

from ..errors import InputError
from ..limits import check_output
from .base import Op, register


@register("Tile", since=6)
class Tile(Op):
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x, repeats):
        self.check_shape("repeats", repeats, (x.ndim,))    # NumPy would prepend axes for a longer one
        reps = tuple(int(r) for r in repeats)
        if any(r < 0 for r in reps):
            raise InputError(f"node {self.node.name!r} (Tile): repeats {list(reps)} must not be negative")
        check_output(self, [a * b for a, b in zip((1,) * (len(reps) - x.ndim) + x.shape, reps)] +
                     list(x.shape[:max(x.ndim - len(reps), 0)]), x.dtype.itemsize)
        return (np.tile(x, reps),)
