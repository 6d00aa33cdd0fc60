"""int8 family: NhwcQS8Conv (what fuse_qdq and to_nhwc make of a quantized
Conv) on the qs8 kernels, weights packed once per node with the bias and the
per-channel requantization scales (kernels/qs8.py)."""
import numpy as np

from ..ops.internal import DOMAIN
from . import Lowered, NotApplicable, cached, given, lowering
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
