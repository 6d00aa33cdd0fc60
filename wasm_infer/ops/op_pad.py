import numpy as np

from ..errors import InputError
from ..limits import check_output
from .base import Op, register

_NUMPY_MODE = {"reflect": "reflect", "edge": "edge", "wrap": "wrap"}


def pad(x, pads, mode, value, axes=None, node_name=""):
    """ONNX Pad: `pads` lists all begins then all ends for `axes` (default
    every axis); negative pads crop. The constant fill is built with
    np.full + assignment so any dtype works, including the structured ones
    that stand for bfloat16/float8 (value then comes in x's own dtype)."""
    rank = x.ndim
    axes = list(range(rank)) if axes is None else [int(a) + rank if a < 0 else int(a) for a in axes]
    pads = [int(p) for p in pads]
    if len(pads) != 2 * len(axes):
        raise InputError(f"node {node_name!r} (Pad): {len(pads)} pads for {len(axes)} axes")
    if mode not in ("constant", *_NUMPY_MODE):
        raise InputError(f"node {node_name!r} (Pad): unknown mode {mode!r}")
    width = [[0, 0] for _ in range(rank)]
    for i, a in enumerate(axes):
        width[a] = [pads[i], pads[i + len(axes)]]
    # Negative pads crop first.
    x = x[tuple(slice(-b if b < 0 else 0, e if e < 0 else None) for b, e in width)]
    width = [(max(b, 0), max(e, 0)) for b, e in width]
    if not any(b or e for b, e in width):
        return x.copy()
    check_output(f"node {node_name!r} (Pad)", [n + b + e for n, (b, e) in zip(x.shape, width)], x.dtype.itemsize)
    if mode == "constant":
        y = np.full(tuple(n + b + e for n, (b, e) in zip(x.shape, width)), value, dtype=x.dtype)
        y[tuple(slice(b, b + n) for n, (b, _) in zip(x.shape, width))] = x
        return y
    if x.size == 0:
        raise InputError(f"node {node_name!r} (Pad): mode {mode!r} cannot pad an empty tensor")
    return np.pad(x, width, mode=_NUMPY_MODE[mode])


@register("Pad", since=1)
class Pad1(Op):
    """Opset 1 named the attribute `paddings`."""
    def run(self, x):
        return (pad(x, self.required_attr("paddings"), self.attr("mode", "constant"), self.attr("value", 0.0),
                    node_name=self.node.name),)


@register("Pad", since=2)
class Pad2(Op):
    def run(self, x):
        return (pad(x, self.required_attr("pads"), self.attr("mode", "constant"), self.attr("value", 0.0),
                    node_name=self.node.name),)


@register("Pad", since=11)
class Pad(Op):
    """pads and constant_value as inputs (11); optional axes input (18);
    wrap mode (19)."""
    def run(self, x, pads, value=None, axes=None):
        fill = 0 if value is None or value.size == 0 else value.reshape(-1)[0]
        if x.dtype == object and (value is None or value.size == 0):
            fill = ""
        return (pad(x, pads.reshape(-1), self.attr("mode", "constant"), fill,
                    None if axes is None else axes.reshape(-1), self.node.name),)
