"""Pooling family in NHWC (inside the to_nhwc pass's regions): windowed max
and average pooling, and the global average pool."""
from ..ops._pool import pool_geometry
from ..ops.internal import DOMAIN
from ..ops.op_nhwc_pool import nchw_shape
from . import F32, Lowered, NotApplicable, is_f32, lowering


@lowering("NhwcPool", domain=DOMAIN)
def nhwc_pool(op, specs, k):
    x = specs[0]
    if not is_f32(x, 4):
        return NotApplicable("needs a float32 NHWC input")
    avg = op.kind == "AveragePool"
    include_pad = bool(op.attr("count_include_pad", 0))
    kernel, strides, dilations, begin, end, o = pool_geometry(op.inner, nchw_shape(x[0]))
    if 0 in o:
        return NotApplicable("no window: the output is empty")
    # what the last window needs at the end: past pads_end with ceil_mode, or when the input is
    # less than a stride short of a window (see conv_geometry); the kernel pads the end by it
    need = [max((oo - 1) * s + (kk - 1) * d + 1 - i - b, 0)
            for oo, s, kk, d, i, b in zip(o, strides, kernel, dilations, x[0][1:3], begin)]
    past = any(nd > e for nd, e in zip(need, end))
    if (op.attr("ceil_mode", 0) or past) and avg and include_pad:
        return NotApplicable("windows past the padding with count_include_pad divide differently")
    if op.attr("ceil_mode", 0) or past:
        end = need
    pads = (begin[0], begin[1], end[0], end[1])
    n, _, _, c = x[0]
    return Lowered([((n, o[0], o[1], c), F32)], lambda ins, outs: k.bind_pool2d_nhwc(
        "avg" if avg else "max", ins[0], outs[0], kernel, strides, pads, dilations, include_pad), "f32_pool2d_nhwc")


@lowering("NhwcGlobalAveragePool", domain=DOMAIN)
def nhwc_global_average_pool(op, specs, k):
    x = specs[0]
    if not is_f32(x, 4):
        return NotApplicable("needs a float32 NHWC input")
    return Lowered([((x[0][0], 1, 1, x[0][3]), F32)],
                   lambda ins, outs: k.bind_global_avg_pool_nhwc(ins[0], outs[0]), "f32_gavgpool_nhwc_minmax")
