import numpy as np

from .base import Op, register


def top_k(x, k, axis, largest):
    """Values and int64 indices of the k largest (smallest) along axis, in
    order; ties keep the lower index first (a stable sort)."""
    axis = axis + x.ndim if axis < 0 else axis
    n = x.shape[axis]
    if largest:
        # A stable ascending sort of the reversed axis, read backwards, is a
        # descending sort whose ties are in ascending original index.
        order = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
        order = (n - 1) - np.flip(order, axis)
    else:
        order = np.argsort(x, axis=axis, kind="stable")
    order = np.take(order, np.arange(k, dtype=np.intp), axis=axis)
    values = np.take_along_axis(x, order, axis=axis)
    return values, order.astype(np.int64)


@register("TopK", since=1)
class TopK1(Op):
    def run(self, x):
        return top_k(x, self.required_attr("k"), self.attr("axis", -1), True)


@register("TopK", since=10)
class TopK(Op):
    """k as an input; `largest` and `sorted` from opset 11 (this always sorts,
    which sorted=0 allows)."""
    def run(self, x, k):
        k = int(np.asarray(k).reshape(-1)[0])
        return top_k(x, k, self.attr("axis", -1), self.attr("largest", 1))
