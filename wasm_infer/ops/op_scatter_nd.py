from ._indexing import nd_index, scatter
from .base import Op, register


@register("ScatterND", since=11)
class ScatterND(Op):
    """out = copy(data); out[indices[i]] = updates[i] for each k-tuple in the
    last axis of indices, or combined by `reduction` (16: add/mul, 18: min/max)."""

    def init(self):
        self.handles_exotic = self.attr("reduction", "none") == "none"  # see ScatterElements

    def run(self, data, indices, updates):
        what = f"node {self.node.name!r} (ScatterND)"
        index = nd_index(indices, data.shape, what)
        k = indices.shape[-1]
        self.check_shape("updates", updates, indices.shape[:-1] + data.shape[k:])    # as onnxruntime
        flat = updates.reshape((-1,) + data.shape[k:])
        return (scatter(data, index, flat, self.attr("reduction"), what),)
