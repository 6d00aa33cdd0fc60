from ._indexing import element_index
from .base import Op, register


@register("GatherElements", since=11)
class GatherElements(Op):
    """out[i][j][k] = data[indices[i][j][k]][j][k] (for axis 0); the output
    has the shape of indices."""
    handles_exotic = True  # moves or decodes elements itself: no float32 round trip

    def run(self, data, indices):
        what = f"node {self.node.name!r} (GatherElements)"
        return (data[element_index(indices, self.attr("axis", 0), data.shape, what)],)
