import numpy as np

from .base import Op, register


@register("Trilu", since=14)
class Trilu(Op):
    """Keeps the upper (or lower) triangle of the last two axes from diagonal k."""
    def init(self):
        self.upper = bool(self.attr("upper", 1))

    def run(self, x, k=None):
        k = 0 if k is None else int(k)
        return ((np.triu if self.upper else np.tril)(x, k),)
