"""Padding and output-size arithmetic shared by Conv and the pooling ops."""
import math

from ..errors import InputError
from ..limits import check_output, check_work


def conv_geometry(op, in_spatial, kernel_shape, ceil_mode=False, pool=False):
    """(strides, dilations, pads_begin, pads_end, out_spatial) for a node with
    the standard ONNX Conv/Pool attributes (auto_pad, pads, strides, dilations).

    With `ceil_mode` (pooling only) the output size rounds up, but a last
    window that would start inside the end padding is dropped, as in PyTorch
    and onnxruntime; such windows may reach past pads_end, so callers pad by
    `(out - 1) * stride + extent - in - begin` at the end, not by pads_end.

    With `pool`, sizes as onnxruntime's pooling ops make them: the division
    truncates toward zero, so an input less than a stride short of one window
    still makes one (it reads what input there is: PP-OCR's recogniser on a
    crop under 8 pixels wide), and no window at all is an empty output."""
    n = len(in_spatial)
    declared = op.attr("kernel_shape", None)
    if declared is not None and list(declared) != list(kernel_shape):
        raise InputError(f"node {op.node.name!r} ({op.op_type}): kernel_shape {list(declared)} does not fit "
                         f"the weights' {list(kernel_shape)}")
    strides = list(op.attr("strides", None) or [1] * n)
    dilations = list(op.attr("dilations", None) or [1] * n)
    auto_pad = op.attr("auto_pad", "NOTSET")
    eff = [(k - 1) * d + 1 for k, d in zip(kernel_shape, dilations)]
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        out = [-(-i // s) for i, s in zip(in_spatial, strides)]
        total = [max((o - 1) * s + e - i, 0) for o, s, e, i in zip(out, strides, eff, in_spatial)]
        small = [t // 2 for t in total]
        big = [t - t // 2 for t in total]
        begin, end = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
    else:
        pads = list(op.attr("pads", None) or [0] * (2 * n))
        if auto_pad == "VALID":
            pads = [0] * (2 * n)
        begin, end = pads[:n], pads[n:]
    if ceil_mode and auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
        out = [-(-(i + b + e - k) // s) + 1 for i, b, e, k, s in zip(in_spatial, begin, end, eff, strides)]
        out = [o - 1 if (o - 1) * s >= i + b else o for o, s, i, b in zip(out, strides, in_spatial, begin)]
    elif pool:
        out = [_truncating(i + b + e - k, s) + 1 for i, b, e, k, s in zip(in_spatial, begin, end, eff, strides)]
    else:
        out = [(i + b + e - k) // s + 1 for i, b, e, k, s in zip(in_spatial, begin, end, eff, strides)]
    if any(o < 0 or (o == 0 and not pool) for o in out):
        raise InputError(f"node {op.node.name!r} ({op.op_type}): input spatial size {list(in_spatial)} "
                         f"is too small for kernel {list(kernel_shape)}")
    return strides, dilations, begin, end, out


def _truncating(a, b):
    """a / b rounded toward zero (b > 0), as C's integer division."""
    return a // b if a >= 0 else -(-a // b)


def check_padded(op, lead_in, in_spatial, begin, end, lead_out, out, itemsize, window):
    """The NumPy paths pad the input, then accumulate the output: pads and
    strides are attributes, so a 1x1 input can ask for both to be any size.
    lead_in / lead_out: the (batch, channels) of each; itemsize: of the
    accumulator. Checked with limits.check_output before either is made, and
    the work with check_window_work (window: operations per output value)."""
    check_output(op, (*lead_in, *(i + b + e for i, b, e in zip(in_spatial, begin, end))), itemsize)
    check_output(op, (*lead_out, *out), itemsize)
    check_window_work(op, lead_out, out, window)


def check_window_work(op, lead_out, out, window):
    """A conv or pool does `window` operations per output value (the kernel's
    taps, times the input channels of a group for a conv): a window as large
    as the input makes the work its size squared, in one call nothing
    interrupts. Refused past limits.MAX_WORK (the NumPy and the kernel paths)."""
    outputs = math.prod(lead_out) * math.prod(out)
    check_work(op, outputs * window, f"operations ({outputs:,} outputs of {window:,} each)")
