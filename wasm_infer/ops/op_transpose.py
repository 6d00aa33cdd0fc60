import numpy as np

from .base import Op, register


@register("Transpose", since=1)
class Transpose(Op):
    handles_exotic = True  # only moves data: exotic types pass through untouched

    def bindable(self, inputs):
        x = inputs[0]
        return x is not None and x[1] is not None and x[1].names is None and not x[1].hasobject

    def bind(self, inputs, outputs):
        perm = self.attr("perm")
        view, out = np.transpose(inputs[0], perm if perm else None), outputs[0]

        def run():
            np.copyto(out, view)
        return run

    def run(self, x):
        perm = self.attr("perm")
        return (np.transpose(x, perm if perm else None),)
