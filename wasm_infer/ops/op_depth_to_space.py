from ..errors import InputError
from .base import Op, register


@register("DepthToSpace", since=1)
class DepthToSpace(Op):
    """mode DCR (default): channels ordered (block row, block column,
    depth); CRD: (depth, block row, block column)."""
    def run(self, x):
        b = int(self.required_attr("blocksize"))
        n, c, h, w = x.shape
        if c % (b * b):
            raise InputError(f"node {self.node.name!r} (DepthToSpace): {c} channels not divisible by {b * b}")
        if self.attr("mode", "DCR") == "CRD":
            t = x.reshape(n, c // (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
        else:
            t = x.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
        return (t.reshape(n, c // (b * b), h * b, w * b),)
