"""Elementwise binders: unary (activations, exp) and broadcasting binary ops.

  bind_unary(op, x, out, lo=-inf, hi=inf)
      op in UNARY_OPS: "clamp", "hardswish", "sigmoid", "silu" (x*sigmoid(x)),
      "exp", "erf", "gelu" (x/2 (1 + erf(x/sqrt 2))), "gelu_tanh" (the tanh
      approximation); then the clamp. x, out same shape, C-contiguous; out may be x.
  bind_binary(op, a, b, out, lo=-inf, hi=inf)
      op in BINARY_OPS: "add", "sub", "mul", "div", "min", "max" with numpy
      broadcasting of C-contiguous a and b to out's shape (any broadcast that
      folds into 3 dims: same shape, scalar, per-channel NHWC or NCHW, ...;
      else ValueError); then the clamp. out may be a or b when that operand
      has out's shape (in place residual Add).
"""
import numpy as np

from .checks import _bound, _check, _check_elementwise, _nothing, _same_or_disjoint, params
from .loader import _func

UNARY_OPS = {"clamp": "f32_vclamp__wasmsimd", "hardswish": "f32_vhswish__wasmsimd",
             "sigmoid": "f32_vsigmoid__wasmsimd", "silu": "f32_vsilu__wasmsimd",
             "exp": "f32_vexp__wasmsimd", "erf": "f32_verf__wasmsimd", "gelu": "f32_vgelu__wasmsimd",
             "gelu_tanh": "f32_vgelutanh__wasmsimd"}
BINARY_OPS = {"add": 0, "sub": 1, "mul": 2, "div": 3, "min": 4, "max": 5}


def bind_unary(op, x, out, lo=-np.inf, hi=np.inf):
    """Validate out = clamp(OP(x), lo, hi) elementwise (op in UNARY_OPS) and return a
    runner. x, out: float32, C-contiguous, same shape; out may be x itself."""
    if op not in UNARY_OPS:
        raise ValueError(f"unary: unknown op {op!r} (known: {sorted(UNARY_OPS)})")
    f = _func(UNARY_OPS[op])
    _check_elementwise(x, out, "unary")
    p = params(lo, hi)
    if x.size == 0:
        return _nothing
    return _bound([(f, (x.size, x.ctypes.data, out.ctypes.data, p.ctypes.data))], (x, out, p))


def _fold_broadcast(shape, sa, sb):
    """Drop size-1 dims and merge dims that are contiguous for both operands."""
    dims = [[d, a, b] for d, a, b in zip(shape, sa, sb) if d != 1]
    merged = []
    for d, a, b in dims:
        if merged and merged[-1][1] == a * d and merged[-1][2] == b * d:
            merged[-1] = [merged[-1][0] * d, a, b]
        else:
            merged.append([d, a, b])
    return merged


def _strides(s, shape):
    """Element strides of a C-contiguous array of shape `s` broadcast to `shape`."""
    s = (1,) * (len(shape) - len(s)) + tuple(s)
    out, step = [], 1
    for d in reversed(s):
        out.append(step if d != 1 else 0)
        step *= d
    return out[::-1]


def binary_geometry(sa, sb):
    """C-contiguous a [sa] OP b [sb] with NumPy broadcasting as the binary
    kernel's three dims, [[size, a stride, b stride]] * 3 in elements, or None
    when the broadcast does not fold into three dims whose inner one is
    contiguous or broadcast for both. ValueError if the shapes do not broadcast."""
    shape = np.broadcast_shapes(tuple(sa), tuple(sb))
    dims = _fold_broadcast(shape, _strides(sa, shape), _strides(sb, shape)) or [[1, 1, 1]]
    if len(dims) > 3 or dims[-1][1] not in (0, 1) or dims[-1][2] not in (0, 1):
        return None
    return [[1, 0, 0]] * (3 - len(dims)) + dims


def bind_binary(op, a, b, out, lo=-np.inf, hi=np.inf):
    """Validate out = clamp(a OP b, lo, hi) with numpy broadcasting (op in BINARY_OPS)
    and return a runner. a, b, out: float32, C-contiguous; out has the broadcast
    shape; out may be a or b itself when that operand has out's shape."""
    if op not in BINARY_OPS:
        raise ValueError(f"binary: unknown op {op!r} (known: {sorted(BINARY_OPS)})")
    f = _func("f32_vbinary_minmax__wasmsimd")
    for arr, name in ((a, "a"), (b, "b"), (out, "out")):
        _check(arr, name, arr.ndim if isinstance(arr, np.ndarray) else 0)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"binary: shapes {a.shape} and {b.shape} do not broadcast") from None
    if out.shape != shape:
        raise ValueError(f"binary: out must have shape {shape}, got {out.shape}")
    if not out.flags.writeable:
        raise ValueError("out: array is read-only")
    for arr, name in ((a, "a"), (b, "b")):
        if _same_or_disjoint(out, arr, name) == "same" and arr.shape != shape:
            raise ValueError(f"binary: out may alias {name} only when {name} is not broadcast")
    p = params(lo, hi)
    if out.size == 0:
        return _nothing
    dims = binary_geometry(a.shape, b.shape)     # a and b are C-contiguous (checked above)
    if dims is None:
        raise ValueError(f"binary: broadcasting {a.shape} with {b.shape} does not fold into 3 dims")
    geo = np.array([d[0] for d in dims] + [d[1] for d in dims] + [d[2] for d in dims], np.int32)
    args = (BINARY_OPS[op], a.ctypes.data, b.ctypes.data, out.ctypes.data, geo.ctypes.data, p.ctypes.data)
    return _bound([(f, args)], (a, b, out, geo, p))
