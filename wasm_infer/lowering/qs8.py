"""int8 family: NhwcQS8Conv (what fuse_qdq and to_nhwc make of a quantized
Conv) on the qs8 kernels, weights packed once per node with the bias and the
per-channel requantization scales (kernels/qs8.py); QS8Add of two equal
shapes (any layout) on the qs8 vadd kernel (kernels/qs8_vector.py), broadcasting
ones in NumPy; QuantizeLinear of float32 with a constant per-tensor scale
(a QDQ model's input) on the qs8 vquantize kernel, and DequantizeLinear of
uint8/int8 to float32 with a constant per-tensor scale (before a QDQ model's
float head and at its outputs) on the qs8 vdequantize kernel."""
import numpy as np

from ..ops.internal import DOMAIN
from . import Lowered, NotApplicable, cached, given, is_f32, lowering
from .conv import _nhwc_geometry

_BYTES = (np.dtype(np.uint8), np.dtype(np.int8))


@lowering("NhwcQS8Conv", domain=DOMAIN, name="qs8 igemm/depthwise")
def nhwc_qs8_conv(op, specs, k):
    x = specs[0]
    w, scale = op.constant(1), op.constant(3) if given(specs, 3) else None
    bias = op.constant(2) if given(specs, 2) else None
    if x is None or x[0] is None or x[1] not in _BYTES or len(x[0]) != 4 or 0 in x[0]:
        return NotApplicable("needs a uint8/int8 NHWC x")
    if w is None or w.dtype != np.int8 or w.ndim != 4 or scale is None or scale.dtype != np.float32 or \
            scale.shape != (w.shape[0],) or (given(specs, 2) and (bias is None or bias.dtype != np.int32)):
        return NotApplicable("needs constant int8 weights, int32 bias and float32 scales")
    group = op.group
    geo = _nhwc_geometry(op, x, w, group)
    if not geo:
        return geo
    strides, dilations, pads, out = geo
    kh, kw = w.shape[2:]
    if kh * kw * w.shape[1] * 255 * 128 + 2 ** 30 >= 2 ** 31:
        return NotApplicable("too many products per output for an int32 accumulator")
    try:
        params = cached(op, "qs8_params", lambda: k.qs8_params(op.zx, x[1] == np.int8, op.zy, op.lo, op.hi,
                                                               op.signed))
    except ValueError as e:
        return NotApplicable(str(e))
    packed = cached(op, "qs8_packed", lambda: k.pack_qs8_conv2d_nhwc(w, bias, scale, group))
    out_dtype = np.dtype(np.int8 if op.signed else np.uint8)
    depthwise = w.shape[1] == 1 and group == w.shape[0]
    return Lowered([(out, out_dtype)], lambda ins, outs: k.bind_qs8_conv2d_nhwc(
        ins[0], packed, outs[0], (kh, kw), strides, pads, dilations, group, params),
        "qs8_dwconv2d_nhwc__wasmsimd" if depthwise else "qs8_igemm_4x8c2__wasmsimd")


@lowering("QS8Add", domain=DOMAIN, name="qs8 vadd")
def qs8_add(op, specs, k):
    a, b = specs[0], specs[1]
    if a is None or b is None or a[1] not in _BYTES or b[1] not in _BYTES:
        return NotApplicable("needs uint8/int8 inputs")
    if tuple(a[0]) != tuple(b[0]):
        return NotApplicable(f"broadcasting {list(a[0])} with {list(b[0])}: the kernel adds equal shapes only")
    try:
        params = cached(op, "qs8_add_params", lambda: k.qs8_add_params(
            op.za, a[1] == np.int8, op.zb, b[1] == np.int8, op.zy, op.lo, op.hi, op.signed, op.ra, op.rb))
    except ValueError as e:
        return NotApplicable(str(e))
    out_dtype = np.dtype(np.int8 if op.signed else np.uint8)
    return Lowered([(tuple(a[0]), out_dtype)], lambda ins, outs: k.bind_qs8_add(ins[0], ins[1], outs[0], params),
                   "qs8_vadd_minmax__wasmsimd")


@lowering("QuantizeLinear", name="qs8 vquantize")
def quantize_linear(op, specs, k):
    """float32 -> uint8/int8 with a constant per-tensor scale and zero point (a
    QDQ model's float input); per-axis, blocked, float8/int4 and other
    precisions stay in NumPy."""
    x = specs[0]
    if not is_f32(x):
        return NotApplicable("needs a float32 input")
    scale = op.constant(1)
    zp = op.constant(2) if given(specs, 2) else None
    if scale is None or scale.dtype != np.float32 or scale.size != 1 or (given(specs, 2) and zp is None):
        return NotApplicable("needs a constant float32 scalar scale and zero point")
    out_dtype = np.dtype(np.uint8) if zp is None else zp.dtype
    if out_dtype not in _BYTES or (zp is not None and zp.size != 1) or op.block_size or \
            op.precision not in (0, 1) or op.output_dtype not in (0, 2 if out_dtype == np.uint8 else 3):
        return NotApplicable("needs a uint8/int8 scalar zero point, no blocks, float32 precision")
    signed = out_dtype == np.int8
    lo, hi = (-128, 127) if signed else (0, 255)
    z = 0 if zp is None else int(zp.reshape(()))
    try:
        params = cached(op, "qs8_quantize_params",
                        lambda: k.qs8_quantize_params(z, lo, hi, signed, float(scale.reshape(()))))
    except ValueError as e:
        return NotApplicable(str(e))
    return Lowered([(tuple(x[0]), out_dtype)], lambda ins, outs: k.bind_qs8_quantize(ins[0], outs[0], params),
                   "qs8_vquantize__wasmsimd")


@lowering("DequantizeLinear", name="qs8 vdequantize")
def dequantize_linear(op, specs, k):
    """uint8/int8 -> float32 with a constant per-tensor scale and zero point;
    per-axis, blocked, other input types and precisions stay in NumPy."""
    x = specs[0]
    if x is None or x[0] is None or x[1] not in _BYTES:
        return NotApplicable("needs a uint8/int8 input")
    scale = op.constant(1)
    zp = op.constant(2) if given(specs, 2) else None
    if scale is None or scale.dtype != np.float32 or scale.size != 1 or (given(specs, 2) and zp is None):
        return NotApplicable("needs a constant float32 scalar scale and zero point")
    if (zp is not None and (zp.dtype != x[1] or zp.size != 1)) or op.block_size or op.output_dtype not in (0, 1):
        return NotApplicable("needs a scalar zero point of the input's type, no blocks, float32 output")
    z = 0 if zp is None else int(zp.reshape(()))
    try:
        params = cached(op, "qs8_dequantize_params",
                        lambda: k.qs8_dequantize_params(z, x[1] == np.int8, float(scale.reshape(()))))
    except ValueError as e:
        return NotApplicable(str(e))
    return Lowered([(tuple(x[0]), np.dtype(np.float32))],
                   lambda ins, outs: k.bind_qs8_dequantize(ins[0], outs[0], params), "qs8_vdequantize__wasmsimd")
