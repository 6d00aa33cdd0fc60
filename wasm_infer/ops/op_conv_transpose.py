import itertools
import math

import numpy as np

from ..errors import InputError
from ..limits import check_output, check_work, deadline_check
from .base import Op, register
from ._precision import acc_dtype


def transpose_geometry(op, in_spatial, kernel_shape):
    """(strides, dilations, pads_begin, out_spatial) for ConvTranspose.
    The full (unpadded) output of axis i has s*(in-1) + extent samples;
    output_padding adds zeros at the end, pads crop. With output_shape or
    SAME auto_pad the pads are derived from the wanted size; SAME_UPPER puts
    the odd sample at the end, NOTSET/SAME_LOWER at the beginning (spec)."""
    n = len(in_spatial)
    declared = op.attr("kernel_shape", None)
    if declared is not None and list(declared) != list(kernel_shape):
        raise InputError(f"node {op.node.name!r} (ConvTranspose): kernel_shape {list(declared)} does not fit the "
                         f"weights' {list(kernel_shape)}")
    strides = list(op.attr("strides", None) or [1] * n)
    dilations = list(op.attr("dilations", None) or [1] * n)
    out_pad = list(op.attr("output_padding", None) or [0] * n)
    auto_pad = op.attr("auto_pad", "NOTSET")
    full = [s * (i - 1) + (k - 1) * d + 1 + p
            for s, i, k, d, p in zip(strides, in_spatial, kernel_shape, dilations, out_pad)]
    wanted = op.attr("output_shape", None)
    if wanted is None and auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        wanted = [i * s for i, s in zip(in_spatial, strides)]
    if wanted is not None:
        out = list(wanted)[-n:]
        total = [f - o for f, o in zip(full, out)]
        # wanted past the full output is output padding, which is less than a stride: more is
        # the output of a larger input (onnxruntime refuses it too)
        if any(-t >= s for t, s in zip(total, strides)):
            raise InputError(f"node {op.node.name!r} (ConvTranspose): output_shape {out} does not fit an input "
                             f"of {list(in_spatial)} (it makes {full} with strides {strides})")
        begin = [t // 2 if auto_pad == "SAME_UPPER" else t - t // 2 for t in total]
    else:
        pads = list(op.attr("pads", None) or [0] * (2 * n))
        if auto_pad == "VALID":
            pads = [0] * (2 * n)
        begin = pads[:n]
        out = [f - b - e for f, b, e in zip(full, pads[:n], pads[n:])]
    if any(o <= 0 for o in out):
        raise InputError(f"node {op.node.name!r} (ConvTranspose): output spatial size {out} is empty")
    return strides, dilations, begin, out


@register("ConvTranspose", since=1)
class ConvTranspose(Op):
    """Scatter form: every kernel tap adds x @ w[tap] into a strided slice
    of the full output, which is then cropped by the pads."""
    def init(self):
        self.group = self.attr("group", 1)

    def run(self, x, w, b=None):
        g = self.group
        n, c = x.shape[:2]
        if x.ndim < 3 or x.ndim != w.ndim or w.shape[0] != c or c % g:
            raise InputError(f"node {self.node.name!r} (ConvTranspose): input {list(x.shape)} does not fit "
                             f"weights {list(w.shape)} with group {g}")
        kernel = list(w.shape[2:])
        in_sp = x.shape[2:]
        strides, dilations, begin, out = transpose_geometry(self, in_sp, kernel)
        mg = w.shape[1]
        acc = acc_dtype(x.dtype)
        # Buffer covering both the full output and the wanted window.
        lo = min(0, *begin)
        size = [max(s * (i - 1) + (k - 1) * d + 1, b + o) - lo
                for s, i, k, d, b, o in zip(strides, in_sp, kernel, dilations, begin, out)]
        # strides or an output_shape attribute make this large from a small input: checked first
        check_output(self, (n, g, mg) + tuple(size), np.dtype(acc).itemsize)
        inputs = n * c * math.prod(in_sp)
        check_work(self, inputs * math.prod(kernel) * mg,
                   f"multiply-adds ({inputs:,} input values into {math.prod(kernel) * mg:,} outputs each)")
        y = np.zeros((n, g, mg) + tuple(size), acc)
        xg = x.astype(acc, copy=False).reshape((n, g, c // g) + in_sp)
        wg = w.astype(acc, copy=False).reshape((g, c // g, mg) + tuple(kernel))
        tick = deadline_check(self)     # a step per kernel position
        for pos in itertools.product(*(range(k) for k in kernel)):
            tick()
            dst = tuple(slice(p * d - lo, p * d - lo + s * (i - 1) + 1, s)
                        for p, d, s, i in zip(pos, dilations, strides, in_sp))
            wk = wg[(slice(None),) * 3 + pos]                           # g, cg, mg
            y[(slice(None),) * 3 + dst] += np.einsum("ngc...,gcm->ngm...", xg, wk)
        crop = tuple(slice(bb - lo, bb - lo + o) for bb, o in zip(begin, out))
        y = y[(slice(None),) * 3 + crop].reshape((n, g * mg) + tuple(out))
        if b is not None:
            y = y + b.astype(acc).reshape((1, -1) + (1,) * len(out))
        return (y.astype(x.dtype),)
