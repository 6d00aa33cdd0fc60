import numpy as np

from .. import dtypes
from .base import Op, register


@register("Cast", since=6)
class Cast(Op):
    def init(self):
        self.to = self.required_attr("to")
        self.dtype = dtypes.to_numpy(self.to, f"node {self.node.name!r} (Cast)")

    def run(self, x):
        if self.to == dtypes.STRING:
            return (np.vectorize(str, otypes=[object])(x) if x.size else x.astype(object),)
        if x.dtype == object:
            return (x.astype(np.float64).astype(self.dtype),)
        return (x.astype(self.dtype),)
