import numpy as np

from .base import Op, register


def unsqueeze(x, axes):
    rank = x.ndim + len(axes)
    axes = sorted(a + rank if a < 0 else a for a in axes)
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    return x.reshape(shape)


@register("Unsqueeze", since=1)
class Unsqueeze1(Op):
    view = True
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x):
        return (unsqueeze(x, self.required_attr("axes")),)


@register("Unsqueeze", since=13)
class Unsqueeze(Op):
    view = True
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x, axes):
        return (unsqueeze(x, [int(a) for a in np.asarray(axes).reshape(-1)]),)
