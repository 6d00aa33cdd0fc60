import numpy as np

from .base import Op, register


def squeeze(x, axes):
    if axes is None:
        return np.squeeze(x)
    return np.squeeze(x, axis=tuple(int(a) for a in axes))


@register("Squeeze", since=1)
class Squeeze1(Op):
    view = True
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x):
        return (squeeze(x, self.attr("axes")),)


@register("Squeeze", since=13)
class Squeeze(Op):
    view = True
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def run(self, x, axes=None):
        return (squeeze(x, axes),)
