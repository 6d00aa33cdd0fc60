"""Shared pieces of the com.microsoft quantized ops that onnxruntime's
quantizer writes (QLinearAdd, QGemm, MatMulIntegerToFloat,
DynamicQuantizeLSTM, ...): their domain, the load-time checks of constant
quantization parameters (the same rules fuse_qdq applies to
QuantizeLinear/DequantizeLinear), onnxruntime's dynamic quantization of a
float tensor, and its requantization of an int32 accumulator."""
import numpy as np

from .. import dtypes
from ..errors import ModelError
from ._quant import INT_RANGES

CONTRIB_DOMAIN = "com.microsoft"


def fail(op, msg):
    raise ModelError(f"node {op.node.name!r} ({op.op_type}): {msg}")


def check_scale(op, index, lengths=(1,), what="scale"):
    """A constant scale input must be positive and finite, with one of
    `lengths` elements (1: per tensor; another: per axis). Not constant: unchecked."""
    scale = op.constant(index)
    if scale is None:
        return None
    scale = np.asarray(scale)
    name = op.node.inputs[index]
    if scale.dtype.kind != "f":
        fail(op, f"{what} {name!r} is {scale.dtype}, not a float")
    flat = scale.reshape(-1)
    bad = ~(np.isfinite(flat) & (flat > 0))
    if bad.any():
        fail(op, f"{what} must be positive and finite, got {flat[bad][0]!r} in {name!r}")
    if scale.size not in lengths:
        fail(op, f"{what} {name!r} has {scale.size} values, expected {' or '.join(map(str, sorted(set(lengths))))}")
    return scale


def check_zero_point(op, index, data_index=None, lengths=(1,), what="zero point"):
    """A constant zero point must be uint8/int8 (the type of input
    `data_index` when that is known), inside its range (it is read as one),
    with one of `lengths` elements."""
    zp = op.constant(index)
    if zp is None:
        return None
    zp = np.asarray(zp)
    name = op.node.inputs[index]
    if zp.dtype not in (np.uint8, np.int8):
        fail(op, f"{what} {name!r} is {zp.dtype}; uint8 or int8 expected")
    data = op.constant(data_index) if data_index is not None else None
    if data is not None and np.asarray(data).dtype != zp.dtype:
        fail(op, f"{what} {name!r} is {zp.dtype}, the quantized data {op.node.inputs[data_index]!r} "
                 f"is {np.asarray(data).dtype}")
    lo, hi = INT_RANGES[dtypes.ONNX_OF[zp.dtype]]
    if zp.size and (zp.min() < lo or zp.max() > hi):
        fail(op, f"{what} {name!r} outside the range [{lo}, {hi}] of its type")
    if zp.size not in lengths:
        fail(op, f"{what} {name!r} has {zp.size} values, expected {' or '.join(map(str, sorted(set(lengths))))}")
    return zp


def input_index(op, index):
    """True when input `index` is present."""
    return index < len(op.node.inputs) and bool(op.node.inputs[index])


def dynamic_quantize(x):
    """(uint8 values, scale, zero point) as onnxruntime's DynamicQuantizeLinear
    and its quantized LSTM/MatMul compute them: the range of x widened to hold
    0, scale (max - min) / 255 in float32, zero point and values rounded half
    to even."""
    f32 = np.float32
    hi = f32(max(0.0, float(np.max(x)))) if x.size else f32(0)
    lo = f32(min(0.0, float(np.min(x)))) if x.size else f32(0)
    scale = f32(1) if hi == lo else f32(hi - lo) / f32(255)
    zp = np.rint(np.clip(f32(0) - lo / scale, 0, 255))
    q = np.clip(np.rint(x.astype(f32) / scale) + zp, 0, 255).astype(np.uint8)
    return q, scale, int(zp)


def centred(x, zero_point, axis_shape=None):
    """x - zero_point in int32; a zero point of several values laid along `axis_shape`."""
    x = np.asarray(x).astype(np.int32)
    if zero_point is None:
        return x
    zp = np.asarray(zero_point).astype(np.int32)
    if zp.size > 1 and axis_shape is not None:
        return x - zp.reshape(axis_shape)
    return x - zp.reshape(())


def requantize(acc, ratio, zero_point, dtype):
    """int32 accumulator -> uint8/int8: rint(acc * ratio) + zero point,
    saturated (onnxruntime's MlasRequantizeOutput: float32 product, round
    half to even)."""
    y = np.rint(acc.astype(np.float32) * np.asarray(ratio, np.float32)) + np.float32(int(zero_point))
    lo, hi = INT_RANGES[dtypes.ONNX_OF[np.dtype(dtype)]]
    return np.clip(y, lo, hi).astype(dtype)


def scalar(v, default=0):
    return default if v is None else np.asarray(v).reshape(-1)[0]
