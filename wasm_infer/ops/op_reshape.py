from ..errors import InputError
from .base import Op, register


def reshape(x, shape, allowzero, node_name):
    shape = [int(d) for d in shape]
    if not allowzero:
        if 0 in shape[x.ndim:]:     # a 0 copies the input's dim at its index: there is none
            raise InputError(f"node {node_name!r} (Reshape): cannot reshape {list(x.shape)} to {shape}: "
                             f"a 0 at index {shape.index(0, x.ndim)} copies a dim the rank-{x.ndim} input lacks")
        shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    try:
        return x.reshape(shape)
    except ValueError:
        raise InputError(f"node {node_name!r} (Reshape): cannot reshape {list(x.shape)} to {shape}") from None


@register("Reshape", since=5)
class Reshape(Op):
    view = True
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x, shape):
        return (reshape(x, shape, self.attr("allowzero", 0), self.node.name),)
