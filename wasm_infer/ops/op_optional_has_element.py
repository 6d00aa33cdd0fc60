import numpy as np

from .base import Op, register


@register("OptionalHasElement", since=15)
class OptionalHasElement(Op):
    def run(self, x=None):
        return (np.array(x is not None),)
