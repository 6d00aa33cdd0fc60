"""Elementwise family on the vector kernels (float32): Relu and Clip (the
clamp kernel), Sigmoid, HardSwish, and Add/Sub/Mul/Div with NumPy
broadcasting that folds into three dimensions (same shape, scalar,
per-channel NHWC or NCHW, ...)."""
import numpy as np

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


def broadcast_folds(sa, sb):
    """Does a OP b with NumPy broadcasting fold into the binary kernel's 3 dims
    (inner dimension contiguous or broadcast for both)? Mirrors the check of
    kernels.bind_binary, on shapes alone."""
    shape = np.broadcast_shapes(sa, sb)

    def strides(s):
        s = (1,) * (len(shape) - len(s)) + tuple(s)
        out, step = [], 1
        for d, n in zip(reversed(s), reversed(shape)):
            out.append(step if d != 1 else 0)
            step *= d
        return out[::-1]
    merged = []
    for d, a, b in zip(shape, strides(sa), strides(sb)):
        if d == 1:
            continue
        if merged and merged[-1][1] == a * d and merged[-1][2] == b * d:
            merged[-1] = [merged[-1][0] * d, a, b]
        else:
            merged.append([d, a, b])
    return len(merged) <= 3 and (not merged or (merged[-1][1] in (0, 1) and merged[-1][2] in (0, 1)))


def _binary(kind):
    def binder(op, specs, k):
        a, b = specs[0], specs[1]
        if not (is_f32(a) and is_f32(b)):
            return NotApplicable("needs float32 inputs")
        try:
            shape = np.broadcast_shapes(a[0], b[0])
        except ValueError:
            return NotApplicable(f"shapes {list(a[0])} and {list(b[0])} do not broadcast")
        if not broadcast_folds(a[0], b[0]):
            return NotApplicable(f"broadcasting {list(a[0])} with {list(b[0])} does not fold into 3 dims")
        return Lowered([(shape, F32)], lambda ins, outs: k.bind_binary(kind, ins[0], ins[1], outs[0]),
                       "f32_vbinary_minmax")
    binder.__name__ = f"binary_{kind}"
    return binder


for _op, _kind in (("Add", "add"), ("Sub", "sub"), ("Mul", "mul"), ("Div", "div")):
    lowering(_op)(_binary(_kind))
