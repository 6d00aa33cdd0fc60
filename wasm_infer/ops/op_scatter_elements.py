from ._indexing import element_index, scatter
from .base import Op, register


@register("ScatterElements", since=11)
class ScatterElements(Op):
    """out = copy(data); out[..., indices[i], ...] = updates[i] along axis,
    or combined with it by `reduction` (opset 16: add/mul, 18: min/max)."""

    def init(self):
        # Plain writes move bit patterns; reductions compute, so exotic types
        # are widened by the runner first.
        self.handles_exotic = self.attr("reduction", "none") == "none"

    def run(self, data, indices, updates):
        what = f"node {self.node.name!r} ({self.op_type})"
        self.check_shape("updates", updates, indices.shape)    # not broadcast: as onnxruntime
        index = element_index(indices, self.attr("axis", 0), data.shape, what)
        return (scatter(data, index, updates, self.attr("reduction"), what),)
