import numpy as np

from ..errors import InputError
from ._indexing import nd_index
from ..limits import check_output
from .base import Op, register


@register("GatherND", since=11)
class GatherND(Op):
    """Gathers slices of data addressed by the k-tuples in the last axis of
    indices; the first `batch_dims` axes (opset 12) are shared by both."""
    handles_exotic = True  # moves or decodes elements itself: no float32 round trip

    def run(self, data, indices):
        b = self.attr("batch_dims", 0)
        what = f"node {self.node.name!r} (GatherND)"
        if data.shape[:b] != indices.shape[:b]:
            raise InputError(f"{what}: batch dims {list(data.shape[:b])} and {list(indices.shape[:b])} differ")
        shape = data.shape[:b] + indices.shape[b:-1] + data.shape[b + indices.shape[-1]:]
        check_output(self, shape, data.dtype.itemsize)     # each index tuple copies a slice of data
        batch = int(np.prod(data.shape[:b], dtype=np.int64))
        inner = data.reshape((batch,) + data.shape[b:])
        k = indices.shape[-1]
        idx = indices.reshape(batch, -1, k)
        per_tuple = idx.shape[1]
        index = nd_index(idx, inner.shape[1:], what)
        rows = np.repeat(np.arange(batch, dtype=np.intp), per_tuple)
        picked = inner[(rows,) + index]
        return (picked.reshape(shape),)
