"""Sliding windows shared by the pooling ops (and anything else that reads
an N-d input through a strided, dilated kernel)."""
import itertools
import math

import numpy as np

from ..limits import deadline_check
from ._conv_shapes import check_padded, conv_geometry


def pool_geometry(op, x):
    """(kernel, strides, dilations, begin, explicit_end, out) for a pooling node."""
    kernel = list(op.required_attr("kernel_shape"))
    strides, dilations, begin, end, out = conv_geometry(op, x.shape[2:], kernel, bool(op.attr("ceil_mode", 0)),
                                                        pool=True)
    # the padded input in x's dtype; the output (and AveragePool's tap counts) at most in float64
    check_padded(op, x.shape[:2], x.shape[2:], begin, end, x.shape[:2], out, 8, math.prod(kernel))
    return kernel, strides, dilations, begin, end, out


def taps(x, kernel, strides, dilations, begin, out, fill, op):
    """Yield (kernel position, array of shape x.shape[:2] + out) holding the
    input value each output position sees at that kernel tap. Positions
    outside the input read `fill`. The end padding is whatever the last
    window needs (ceil_mode can reach past the explicit pads)."""
    lead = x.ndim - len(kernel)
    spatial = x.shape[lead:]
    end = [max((o - 1) * s + (k - 1) * d + 1 - i - b, 0)
           for o, s, k, d, i, b in zip(out, strides, kernel, dilations, spatial, begin)]
    xp = np.pad(x, [(0, 0)] * lead + list(zip(begin, end)), constant_values=fill)
    # a step per tap: a kernel_shape attribute as large as the padded input (pads are attributes
    # too) is millions of them, so `op`'s run deadline is checked at each
    tick = deadline_check(op)
    for pos in itertools.product(*(range(k) for k in kernel)):
        tick()
        # out 0 (no window: an empty output) must not make a negative stop, which counts from the end
        window = tuple(slice(p * d, max(p * d + s * (o - 1) + 1, 0), s)
                       for p, d, s, o in zip(pos, dilations, strides, out))
        yield pos, xp[(slice(None),) * lead + window]


def tap_counts(spatial, kernel, strides, dilations, begin, end, out, include_pad, op):
    """How many taps of each window fall on the input (or, with
    `include_pad`, on the input or its explicit pads) — AveragePool's divisor."""
    mask = np.ones(spatial, np.float64)
    if include_pad:
        mask = np.pad(mask, list(zip(begin, end)), constant_values=1.0)
        begin = [0] * len(begin)
    total = np.zeros(out, np.float64)
    for _, t in taps(mask, kernel, strides, dilations, begin, out, 0.0, op):
        total += t
    return total


def lowest(dtype):
    """The fill value that never wins a max."""
    if np.issubdtype(dtype, np.floating):
        return -np.inf
    return np.iinfo(dtype).min
