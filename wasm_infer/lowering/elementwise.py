"""Elementwise family on the vector kernels (float32): Relu and Clip (the
clamp kernel), Sigmoid, HardSwish, FusedSilu (x * sigmoid(x)), and Add/Sub/Mul/Div with NumPy
broadcasting that folds into three dimensions (same shape, scalar,
per-channel NHWC or NCHW, ...)."""
import numpy as np

from ..ops.internal import DOMAIN
from . import F32, Lowered, NotApplicable, given, is_f32, lowering


def _unary(k, kind, specs, lo=-np.inf, hi=np.inf):
    x = specs[0]
    if not is_f32(x):
        return NotApplicable("needs a float32 input")
    return Lowered([(tuple(x[0]), F32)], lambda ins, outs: k.bind_unary(kind, ins[0], outs[0], lo, hi),
                   k.UNARY_OPS[kind])


@lowering("Relu")
def relu(op, specs, k):
    return _unary(k, "clamp", specs, 0.0, np.inf)


@lowering("Sigmoid")
def sigmoid(op, specs, k):
    return _unary(k, "sigmoid", specs)


@lowering("HardSwish")
def hardswish(op, specs, k):
    return _unary(k, "hardswish", specs)


@lowering("FusedSilu", domain=DOMAIN)
def silu(op, specs, k):
    return _unary(k, "silu", specs)


@lowering("Clip")
def clip(op, specs, k):
    if op.since < 11:
        return NotApplicable("Clip-6 (bounds as attributes)")
    bounds = []
    for i, default in ((1, -np.inf), (2, np.inf)):
        v = op.constant(i) if given(specs, i) else None
        if given(specs, i) and (v is None or v.size != 1):
            return NotApplicable("bounds are not constant scalars")
        bounds.append(default if v is None else float(v.astype(np.float32).reshape(())))
    if not bounds[0] <= bounds[1]:
        return NotApplicable(f"empty or NaN clamp range {bounds}")
    return _unary(k, "clamp", specs, *bounds)


def _binary(kind):
    def binder(op, specs, k):
        a, b = specs[0], specs[1]
        if not (is_f32(a) and is_f32(b)):
            return NotApplicable("needs float32 inputs")
        shape = np.broadcast_shapes(a[0], b[0])      # ValueError: lower() says they do not broadcast
        if k.binary_geometry(a[0], b[0]) is None:     # the kernel wrapper's own rule, on shapes
            return NotApplicable(f"broadcasting {list(a[0])} with {list(b[0])} does not fold into 3 dims")
        return Lowered([(shape, F32)], lambda ins, outs: k.bind_binary(kind, ins[0], ins[1], outs[0]),
                       "f32_vbinary_minmax")
    binder.__name__ = f"binary_{kind}"
    return binder


for _op, _kind in (("Add", "add"), ("Sub", "sub"), ("Mul", "mul"), ("Div", "div")):
    lowering(_op)(_binary(_kind))
