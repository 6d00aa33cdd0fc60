import itertools

import numpy as np

from ..errors import InputError
from ..limits import check_output, deadline_check
from ._conv_shapes import conv_geometry
from .base import Op, register
from ._precision import acc_dtype
from ._sample import linear_zero_padded


@register("DeformConv", since=19)
class DeformConv(Op):
    """Conv whose every tap reads the input at a learned fractional offset
    (bilinear, zero outside), optionally scaled by a mask. Offsets are laid
    out (N, offset_group, *kernel, rank, *out); the output size is the
    offset's spatial shape."""
    def run(self, x, w, offset, b=None, mask=None):
        n, c = x.shape[:2]
        rank = x.ndim - 2
        kernel = list(w.shape[2:])
        group = self.attr("group", 1)
        og = self.attr("offset_group", 1)
        strides = list(self.attr("strides", None) or [1] * rank)
        dilations = list(self.attr("dilations", None) or [1] * rank)
        begin = list(self.attr("pads", None) or [0] * (2 * rank))[:rank]
        out = offset.shape[2:]
        taps = int(np.prod(kernel))
        if c != w.shape[1] * group or c % og or offset.shape[1] != og * taps * rank:
            raise InputError(f"node {self.node.name!r} (DeformConv): shapes x {list(x.shape)}, w {list(w.shape)}, "
                             f"offset {list(offset.shape)} do not fit group {group}, offset_group {og}")
        # the offsets (and mask) are given per output position: of the size the conv makes
        expected = conv_geometry(self, x.shape[2:], kernel)[4]
        self.check_shape("offset", offset, (n, og * taps * rank, *expected))
        if mask is not None:
            self.check_shape("mask", mask, (n, og * taps, *expected))
        if b is not None:
            self.check_shape("B", b, (w.shape[0],))
        acc = acc_dtype(x.dtype)
        # the sampled columns: x's channels times the offsets' taps and positions, two inputs' sizes multiplied
        check_output(self, (n * og, c // og, taps) + tuple(out), np.dtype(acc).itemsize)
        xo = x.astype(acc, copy=False).reshape((n * og, c // og) + x.shape[2:])
        off = offset.astype(acc, copy=False).reshape((n * og, taps, rank) + tuple(out))
        m = None if mask is None else mask.astype(acc, copy=False).reshape((n * og, taps) + tuple(out))
        cols = np.empty((n * og, c // og, taps) + tuple(out), acc)
        tick = deadline_check(self)     # a step per kernel position
        for t, pos in enumerate(itertools.product(*(range(k) for k in kernel))):
            tick()
            coords = []
            for a in range(rank):
                grid = (np.arange(out[a]) * strides[a] - begin[a] + pos[a] * dilations[a]).astype(acc)
                coords.append(grid.reshape(tuple(-1 if i == a else 1 for i in range(rank))) + off[:, t, a])
            v = linear_zero_padded(xo, coords)
            cols[:, :, t] = v if m is None else v * m[:, None, t]
        cols = cols.reshape((n, group, c // group, taps) + tuple(out))
        wg = w.astype(acc, copy=False).reshape((group, w.shape[0] // group, c // group, taps))
        y = np.einsum("ngct...,gmct->ngm...", cols, wg).reshape((n, w.shape[0]) + tuple(out))
        if b is not None:
            y = y + b.astype(acc).reshape((1, -1) + (1,) * rank)
        return (y.astype(x.dtype),)
