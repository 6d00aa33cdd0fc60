import itertools
import math

import numpy as np

from ..errors import InputError
from ..limits import deadline_check
from .base import Op, register
from ._conv_shapes import check_padded, conv_geometry
from ._precision import acc_dtype


def conv_numpy(x, w, b, strides, dilations, begin, end, out_spatial, group, op):
    """N-d grouped convolution: one matmul per kernel position (between
    which `op`'s run deadline is checked)."""
    n, c = x.shape[:2]
    m, cg = w.shape[:2]
    # Products as well as sums in the accumulator type: float16 products
    # would round before they are added.
    acc = acc_dtype(x.dtype)
    xp = np.pad(x.astype(acc, copy=False), [(0, 0), (0, 0)] + list(zip(begin, end)))
    xg = xp.reshape((n, group, cg) + xp.shape[2:])
    wg = w.astype(acc, copy=False).reshape((group, m // group, cg) + w.shape[2:])
    y = np.zeros((n, group, m // group) + tuple(out_spatial), dtype=acc)
    tick = deadline_check(op)
    for pos in itertools.product(*(range(k) for k in w.shape[2:])):
        tick()
        window = tuple(slice(p * d, p * d + s * (o - 1) + 1, s)
                       for p, d, s, o in zip(pos, dilations, strides, out_spatial))
        patch = xg[(slice(None),) * 3 + window]            # n, g, cg, *out
        wk = wg[(slice(None),) * 3 + pos]                  # g, mg, cg
        if cg == 1 and m == group:                         # depthwise: a broadcast multiply
            y += patch * wk.reshape((1, group, 1) + (1,) * len(out_spatial))
        else:
            y += np.einsum("ngc...,gmc->ngm...", patch, wk)
    y = y.reshape((n, m) + tuple(out_spatial))
    if b is not None:
        y += b.astype(acc).reshape((1, m) + (1,) * len(out_spatial))
    return y.astype(x.dtype)


@register("Conv", since=1)
class Conv(Op):
    # A fused activation clamps the output to [lo, hi] (set by FusedConv).
    lo, hi = -np.inf, np.inf

    def init(self):
        self.group = self.attr("group", 1)

    def run(self, x, w, b=None):
        if x.ndim < 3 or x.ndim != w.ndim or x.shape[1] != w.shape[1] * self.group or w.shape[0] % self.group:
            raise InputError(f"node {self.node.name!r} ({self.op_type}): input {list(x.shape)} does not fit "
                             f"weights {list(w.shape)} with group {self.group}")
        if b is not None:
            self.check_shape("B", b, (w.shape[0],))
        kernel_shape = list(w.shape[2:])
        strides, dilations, begin, end, out = conv_geometry(self, x.shape[2:], kernel_shape)
        check_padded(self, x.shape[:2], x.shape[2:], begin, end, (x.shape[0], w.shape[0]), out,
                     np.dtype(acc_dtype(x.dtype)).itemsize, math.prod(w.shape[1:]))
        y = conv_numpy(x, w, b, strides, dilations, begin, end, out, self.group, self)
        if self.lo != -np.inf or self.hi != np.inf:
            y = np.clip(y, self.lo, self.hi).astype(y.dtype)
        return (y,)
