import numpy as np

from .base import Op, register
from ._pool import lowest, pool_geometry, taps


def _flat_index(pos, x_shape, strides, dilations, begin, out, column_major):
    """Flat index into x (N, C, *spatial) of tap `pos` for every output position."""
    spatial = x_shape[2:]
    rank = len(spatial)
    # Row-major spatial strides, or column-major when storage_order=1.
    order = range(rank) if column_major else reversed(range(rank))
    mult, step = [0] * rank, 1
    for a in order:
        mult[a] = step
        step *= spatial[a]
    index = np.arange(x_shape[0] * x_shape[1], dtype=np.int64).reshape(x_shape[:2] + (1,) * rank) * step
    for a in range(rank):
        coord = np.arange(out[a], dtype=np.int64) * strides[a] - begin[a] + pos[a] * dilations[a]
        index = index + (coord * mult[a]).reshape((1, 1) + tuple(-1 if b == a else 1 for b in range(rank)))
    return index


@register("MaxPool", since=1)
class MaxPool(Op):
    """Optional second output Indices (opset 8): the flat position of each
    maximum in the unpadded input; the first maximum in scan order wins."""
    def run(self, x):
        kernel, strides, dilations, begin, _, out = pool_geometry(self, x)
        want_index = len(self.node.outputs) > 1 and bool(self.node.outputs[1])
        column_major = bool(self.attr("storage_order", 0))
        best = index = None
        for pos, t in taps(x, kernel, strides, dilations, begin, out, lowest(x.dtype), self):
            if best is None:
                best = t.copy()
                if want_index:
                    index = np.broadcast_to(_flat_index(pos, x.shape, strides, dilations, begin, out,
                                                        column_major), t.shape).copy()
                continue
            better = t > best
            best = np.where(better, t, best)
            if want_index:
                index = np.where(better, _flat_index(pos, x.shape, strides, dilations, begin, out, column_major),
                                 index)
        return (best, index) if want_index else (best,)
