"""Convolution family. NHWC (what the to_nhwc pass makes of 2-D convs when
the kernels are loaded): Winograd F(2x2, 3x3) for 3x3 stride-1 convs with
enough channels, else the packed GEMM (1x1), the indirect GEMM or the
depthwise kernels, all through kernels.bind_conv2d_nhwc with weights packed
once per node. NCHW 2-D and 1-D Conv/FusedConv (outside NHWC regions, and
with weights computed at run time): the direct NCHW kernels."""
import math

import numpy as np

from ..ops._conv_shapes import check_window_work, conv_geometry
from ..ops.internal import DOMAIN
from . import F32, Lowered, NotApplicable, cached, given, is_f32, lowering


def _clamp(op):
    return float(op.attr("activation_min", -np.inf)), float(op.attr("activation_max", np.inf))


def _nhwc_geometry(op, x, w, group):
    """(strides, dilations, pads (top, left, bottom, right), output shape) or NotApplicable."""
    n, h, wd, c = x[0]
    if c != w.shape[1] * group or w.shape[0] % group:
        return NotApplicable(f"input {list(x[0])} (NHWC) does not fit weights {list(w.shape)}, group {group}")
    strides, dilations, begin, end, out = conv_geometry(op, (h, wd), list(w.shape[2:]))
    check_window_work(op, (n, w.shape[0]), out, w[0].size)
    return tuple(strides), tuple(dilations), tuple(begin + end), (n, out[0], out[1], w.shape[0])


def _nhwc(op, specs):
    """(x spec, weights, bias, group, (strides, dilations, pads, output shape)) of an
    NhwcConv with constant float32 weights, or NotApplicable."""
    x, w = specs[0], op.constant(1)
    b = op.constant(2) if given(specs, 2) else None
    if not is_f32(x, 4) or w is None or w.dtype != F32 or w.ndim != 4 or (given(specs, 2) and b is None):
        return NotApplicable("needs float32 NHWC x and constant float32 weights")
    group = op.attr("group", 1)
    geo = _nhwc_geometry(op, x, w, group)
    return geo if not geo else (x, w, b, group, geo)


@lowering("NhwcConv", domain=DOMAIN, name="winograd")
def nhwc_conv_winograd(op, specs, k):
    conv = _nhwc(op, specs)
    if not conv:
        return conv
    x, w, b, group, (strides, dilations, pads, out) = conv
    if not k.winograd_applies(w.shape, strides, dilations, group):
        return NotApplicable("not a 3x3 stride-1 conv with channels in multiples of 4 (>= 16)")
    packed = cached(op, "winograd", lambda: k.pack_conv2d_nhwc_winograd(w, b))
    lo, hi = _clamp(op)
    return Lowered([(out, F32)], lambda ins, outs: k.bind_conv2d_nhwc_winograd(ins[0], packed, outs[0], pads, lo, hi),
                   "f32_conv2d_nhwc_3x3s1_minmax__winograd2x2")


@lowering("NhwcConv", domain=DOMAIN, name="gemm/igemm/depthwise")
def nhwc_conv(op, specs, k):
    conv = _nhwc(op, specs)
    if not conv:
        return conv
    x, w, b, group, (strides, dilations, pads, out) = conv
    packed = cached(op, "nhwc", lambda: k.pack_conv2d_nhwc(w, b, group))
    lo, hi = _clamp(op)
    return Lowered([(out, F32)], lambda ins, outs: k.bind_conv2d_nhwc(
        ins[0], packed, outs[0], w.shape[2:], strides, pads, dilations, group, lo, hi), "f32_conv2d_nhwc")


def _nchw(op, specs, k, lo, hi):
    """2-D convs, and 1-D ones (audio front ends, STFTs) as 2-D with height 1."""
    x, w = specs[0], specs[1]
    rank = len(x[0]) if is_f32(x) else 0
    if rank not in (3, 4) or not is_f32(w, rank) or (given(specs, 2) and not is_f32(specs[2], 1)):
        return NotApplicable("needs float32 x and weights of rank 3 or 4 (1-D or 2-D conv)")
    group = op.attr("group", 1)
    if x[0][1] != w[0][1] * group or w[0][0] % group:
        return NotApplicable(f"input {list(x[0])} does not fit weights {list(w[0])}, group {group}")
    strides, dilations, begin, end, out = conv_geometry(op, x[0][2:], list(w[0][2:]))
    check_window_work(op, (x[0][0], w[0][0]), out, math.prod(w[0][1:]))
    shape = (x[0][0], w[0][0], *out)
    if rank == 3:      # [N, C, L] as [N, C, 1, L]: no padding, stride or dilation along the added axis
        strides, dilations, begin, end = (1, *strides), (1, *dilations), [0, *begin], [0, *end]

    def as_2d(a):
        return a.reshape(a.shape[:2] + (1,) + a.shape[2:]) if rank == 3 else a
    return Lowered([(shape, F32)], lambda ins, outs: k.bind_conv2d_nchw(
        as_2d(ins[0]), as_2d(ins[1]), ins[2] if len(ins) > 2 else None, as_2d(outs[0]), strides, begin + end,
        dilations, group, lo, hi), "f32_conv2d_nchw")


@lowering("Conv")
def conv_nchw(op, specs, k):
    return _nchw(op, specs, k, -np.inf, np.inf)


@lowering("FusedConv", domain=DOMAIN)
def fused_conv_nchw(op, specs, k):
    return _nchw(op, specs, k, *_clamp(op))


@lowering("NhwcConvTranspose", domain=DOMAIN)
def nhwc_conv_transpose(op, specs, k):
    """kernel == stride, no pads/dilations/output padding, one group: a GEMM per
    output row (kernels/deconv.py); to_nhwc makes NhwcConvTranspose only then,
    the checks here hold the lowering to it all the same."""
    x, w = specs[0], op.constant(1)
    b = op.constant(2) if given(specs, 2) else None
    if not is_f32(x, 4) or w is None or w.dtype != F32 or w.ndim != 4 or (given(specs, 2) and b is None):
        return NotApplicable("needs float32 NHWC x and constant float32 weights")
    a = op.node.attrs
    stride = tuple(w.shape[2:])
    if op.group != 1 or x[0][3] != w.shape[0] or tuple(a.get("strides", (1, 1))) != stride or \
            any(a.get("pads", ())) or any(a.get("output_padding", ())) or "output_shape" in a or \
            tuple(a.get("dilations", (1, 1))) != (1, 1) or a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        return NotApplicable("not a transposed conv with kernel == stride, no pads, one group")
    n, h, wd, _ = x[0]
    out = (n, h * stride[0], wd * stride[1], w.shape[1])
    packed = cached(op, "packed", lambda: k.pack_conv_transpose_nhwc(w, b, stride))
    return Lowered([(out, F32)], lambda ins, outs: k.bind_conv_transpose_nhwc(ins[0], packed, outs[0], stride),
                   "f32_gemm_4x8_minmax (transposed conv)")
