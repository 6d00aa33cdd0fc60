import numpy as np

from ..errors import InputError
from ..limits import check_objects
from .base import Op, register


@register("SplitToSequence", since=11)
class SplitToSequence(Op):
    """No `split`: pieces of size 1 (squeezed unless keepdims); a scalar
    `split`: pieces of that size, the last one shorter; a 1-D `split`: sizes,
    which must add up to the axis. The pieces are views of X, one Python
    object each (~120 bytes, whatever their size): their number is checked
    against the memory budget first, and they are made by NumPy's iteration
    (or one slice each), not np.split, which spends ~14 us a piece."""

    def init(self):
        self.axis = self.attr("axis", 0)
        self.keepdims = self.attr("keepdims", 1)

    def run(self, x, split=None):
        axis = self.axis + x.ndim if self.axis < 0 else self.axis
        if not 0 <= axis < max(x.ndim, 1) or x.ndim == 0:
            raise InputError(f"node {self.node.name!r} (SplitToSequence): axis {self.axis} is out of range "
                             f"for an input of shape {list(x.shape)}")
        n = x.shape[axis]
        each = 120 + 16 * x.ndim
        if split is None:
            check_objects(self, n, each, "tensors in a sequence")
            if self.keepdims:       # a new axis of 1 before the split one, which then goes first
                return (list(np.moveaxis(np.expand_dims(x, axis), axis + 1, 0)),)
            if x.ndim == 1:         # iterating would give NumPy scalars, not 0-d arrays
                return ([x[i, ...] for i in range(n)],)
            return (list(np.moveaxis(x, axis, 0)),)
        split = np.asarray(split)
        if split.ndim == 0:
            size = int(split)
            if size < 1:
                raise InputError(f"node {self.node.name!r} (SplitToSequence): split {size} must be positive")
            check_objects(self, -(-n // size), each, "tensors in a sequence")
            pre = (slice(None),) * axis
            return ([x[pre + (slice(a, a + size),)] for a in range(0, n, size)],)   # the last one shorter
        sizes = split.reshape(-1).astype(np.int64)
        if (sizes < 0).any() or int(sizes.sum()) != n:
            raise InputError(f"node {self.node.name!r} (SplitToSequence): split sizes "
                             f"{sizes[:8].tolist()}{'...' if sizes.size > 8 else ''} must be non-negative "
                             f"and add up to {n}, the length of axis {axis}")
        check_objects(self, sizes.size, each, "tensors in a sequence")
        ends = np.cumsum(sizes).tolist()
        pre = (slice(None),) * axis
        return ([x[pre + (slice(a, b),)] for a, b in zip([0] + ends[:-1], ends)],)
