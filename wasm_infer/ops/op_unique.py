import numpy as np

from .base import Op, register


@register("Unique", since=11)
class Unique(Op):
    """Unique values (or slices along `axis`), sorted or in order of first
    occurrence, with first-occurrence indices, inverse indices and counts
    (all int64)."""
    def init(self):
        self.sorted = bool(self.attr("sorted", 1))
        self.axis = self.attr("axis")

    def run(self, x):
        y, first, inverse, counts = np.unique(x, return_index=True, return_inverse=True,
                                              return_counts=True, axis=self.axis)
        inverse = inverse.reshape(-1)  # its shape differs across NumPy 2.0.x
        if not self.sorted:
            order = np.argsort(first, kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(order.size, dtype=order.dtype)
            axis = 0 if self.axis is None else self.axis
            y = np.take(y, order, axis=axis)
            first, counts, inverse = first[order], counts[order], rank[inverse]
        i64 = np.int64
        return y, first.astype(i64), inverse.astype(i64), counts.astype(i64)
