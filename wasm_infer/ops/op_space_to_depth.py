from ..errors import InputError
from .base import Op, register


@register("SpaceToDepth", since=1)
class SpaceToDepth(Op):
    """Inverse of DepthToSpace; the mode attribute (DCR default, CRD)
    arrived in opset 28 and defaults to the older behaviour."""
    def run(self, x):
        b = int(self.required_attr("blocksize"))
        n, c, h, w = x.shape
        if h % b or w % b:
            raise InputError(f"node {self.node.name!r} (SpaceToDepth): {h}x{w} not divisible by {b}")
        t = x.reshape(n, c, h // b, b, w // b, b)
        order = (0, 1, 3, 5, 2, 4) if self.attr("mode", "DCR") == "CRD" else (0, 3, 5, 1, 2, 4)
        return (t.transpose(order).reshape(n, c * b * b, h // b, w // b),)
