import numpy as np

from ..errors import InputError
from .base import Op, register


def pad(x, pads, mode, value, axes=None, node_name=""):
    rank = x.ndim
    axes = list(range(rank)) if axes is None else [int(a) + rank if a < 0 else int(a) for a in axes]
    pads = [int(p) for p in pads]
    if len(pads) != 2 * len(axes):
        raise InputError(f"node {node_name!r} (Pad): {len(pads)} pads for {len(axes)} axes")
    width = [[0, 0] for _ in range(rank)]
    for i, a in enumerate(axes):
        width[a] = [pads[i], pads[i + len(axes)]]
    # Negative pads crop.
    crop = tuple(slice(-b if b < 0 else 0, e if e < 0 else None) for b, e in width)
    x = x[crop]
    width = [(max(b, 0), max(e, 0)) for b, e in width]
    if mode == "constant":
        return np.pad(x, width, mode="constant", constant_values=value)
    return np.pad(x, width, mode={"reflect": "reflect", "edge": "edge", "wrap": "wrap"}[mode])


@register("Pad", since=2)
class Pad2(Op):
    def run(self, x):
        return (pad(x, self.required_attr("pads"), self.attr("mode", "constant"), self.attr("value", 0.0),
                    node_name=self.node.name),)


@register("Pad", since=11)
class Pad(Op):
    def run(self, x, pads, value=None, axes=None):
        value = 0 if value is None or value.size == 0 else value.reshape(-1)[0]
        return (pad(x, pads, self.attr("mode", "constant"), value, axes, self.node.name),)
