"""Softmax, LogSoftmax and Hardmax: before opset 13 the input is coerced to
2-D at `axis` ([prod(shape[:axis]), prod(shape[axis:])]) and the op runs on
the rows; from 13 it runs along `axis` alone.

Exotic float types (bfloat16, float8) are computed the way ONNX evaluates
them: every elementary step rounded to the type, the sum accumulated in
order with a rounding per addition. Computing in float32 and rounding once
differs by an ulp in about a third of the outputs."""
import numpy as np

from .. import dtypes
from .base import Op


def _exact(v):
    return v


def _seq_sum(e, axis, r):
    """Sum along axis, rounding after every addition (keepdims)."""
    e = np.moveaxis(e, axis, -1)
    if r is _exact or e.shape[-1] == 0:
        acc = np.sum(e, axis=-1)
    else:
        acc = e[..., 0]
        for i in range(1, e.shape[-1]):
            acc = r(acc + e[..., i])
    return np.expand_dims(acc, axis)


def softmax(x, axis, r=_exact):
    e = r(np.exp(r(x - np.max(x, axis=axis, keepdims=True))))
    return r(e / _seq_sum(e, axis, r))


def log_softmax(x, axis, r=_exact):
    shifted = r(x - np.max(x, axis=axis, keepdims=True))
    return r(shifted - r(np.log(_seq_sum(r(np.exp(shifted)), axis, r))))


def hardmax(x, axis, r=_exact):
    """1 at the first maximum along axis, 0 elsewhere."""
    out = np.zeros_like(x)
    if x.size:
        index = np.expand_dims(np.argmax(x, axis=axis), axis)
        np.put_along_axis(out, index, 1, axis=axis)
    return out


class AxisOp(Op):
    coerce_2d = False
    default_axis = -1
    handles_exotic = True
    along = None  # one of the functions above

    def init(self):
        self.axis = self.attr("axis", self.default_axis)

    def run(self, x):
        axis = self.axis + x.ndim if self.axis < 0 else self.axis
        shape = x.shape
        if self.coerce_2d:
            x = x.reshape(int(np.prod(shape[:axis], dtype=np.int64)), int(np.prod(shape[axis:], dtype=np.int64)))
            axis = 1
        fn = type(self).along
        if dtypes.is_exotic(x.dtype):
            target = dtypes.onnx_type(x.dtype)
            y = dtypes.cast(fn(dtypes.to_float32(x), axis, lambda v: dtypes.to_float32(dtypes.cast(v, target))),
                            target)
        else:
            y = fn(x, axis).astype(x.dtype, copy=False)
        return (y.reshape(shape),)


class AxisOp1(AxisOp):
    coerce_2d = True
    default_axis = 1
