"""Padding and output-size arithmetic shared by Conv and the pooling ops."""
from ..errors import InputError


def conv_geometry(op, in_spatial, kernel_shape):
    """(strides, dilations, pads_begin, pads_end, out_spatial) for a node with
    the standard ONNX Conv/Pool attributes (auto_pad, pads, strides, dilations)."""
    n = len(in_spatial)
    strides = list(op.attr("strides", [1] * n))
    dilations = list(op.attr("dilations", [1] * n))
    auto_pad = op.attr("auto_pad", "NOTSET")
    eff = [(k - 1) * d + 1 for k, d in zip(kernel_shape, dilations)]
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        out = [-(-i // s) for i, s in zip(in_spatial, strides)]
        total = [max((o - 1) * s + e - i, 0) for o, s, e, i in zip(out, strides, eff, in_spatial)]
        small = [t // 2 for t in total]
        big = [t - t // 2 for t in total]
        begin, end = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
    else:
        pads = list(op.attr("pads", [0] * (2 * n)))
        if auto_pad == "VALID":
            pads = [0] * (2 * n)
        begin, end = pads[:n], pads[n:]
    out = [(i + b + e - k) // s + 1 for i, b, e, k, s in zip(in_spatial, begin, end, eff, strides)]
    if any(o <= 0 for o in out):
        raise InputError(f"node {op.node.name!r} ({op.op_type}): input spatial size {list(in_spatial)} "
                         f"is too small for kernel {list(kernel_shape)}")
    return strides, dilations, begin, end, out
