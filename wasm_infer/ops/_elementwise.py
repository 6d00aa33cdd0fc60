"""Helpers and base classes shared by the elementwise op files."""
import functools

import numpy as np

from .base import Op


def same_dtype(result, like):
    """NumPy may promote (e.g. int8 + int8 scalar ops); ONNX keeps the input type."""
    result = as_array(result)
    return result if result.dtype == like.dtype else result.astype(like.dtype)


def as_array(x):
    return x if isinstance(x, np.ndarray) else np.asarray(x)


def floating(x):
    """x as a float array for transcendental math (ints go through float64)."""
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def kernel_unary(op, kind, x, out, lo=-np.inf, hi=np.inf):
    """kernels.bind_unary(kind, x, out, lo, hi) for float32 when the kernels
    have it, else None (the caller binds NumPy)."""
    k = op.ctx.kernels
    if k is None or not hasattr(k, "bind_unary") or x.dtype != np.float32 or out.dtype != np.float32:
        return None
    return k.bind_unary(kind, x, out, lo, hi)


class Unary(Op):
    """y = fn(x) with the input's dtype. Subclasses set `fn`, or override
    `compute` when the op reads attributes."""
    fn = None

    def compute(self, x):
        return type(self).fn(x)

    def run(self, x):
        return (same_dtype(self.compute(x), x),)


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class Binary(Op):
    """z = fn(a, b) with NumPy broadcasting and the first input's dtype.
    Subclasses whose `fn` is exact for floats set `plan_ufunc = True`: the
    memory plan then runs fn(a, b, out=arena view) for float inputs."""
    fn = None
    plan_ufunc = False
    kernel_op = None    # the name of the op for kernels.bind_binary (float32)
    inplace = (0, 1)    # elementwise: out may be an operand of its shape

    def bindable(self, inputs):
        if len(inputs) != 2 or None in inputs:
            return False
        (sa, da), (sb, db) = inputs
        if sa is None or sb is None or da != db:
            return False
        k = self.ctx.kernels
        return (da in _FLOATS and self.plan_ufunc) or \
            (da == np.float32 and self.kernel_op is not None and k is not None and hasattr(k, "bind_binary"))

    def bind(self, inputs, outputs):
        fn, (a, b), out = type(self).fn, inputs, outputs[0]
        k = self.ctx.kernels
        if self.kernel_op is not None and k is not None and hasattr(k, "bind_binary") and a.dtype == np.float32:
            try:
                return k.bind_binary(self.kernel_op, a, b, out)
            except ValueError:   # a broadcast the kernel does not fold: NumPy below
                if not self.plan_ufunc:
                    raise

        def run():
            fn(a, b, out=out)
        return run

    def compute(self, a, b):
        return type(self).fn(a, b)

    def run(self, a, b):
        return (same_dtype(self.compute(a, b), a),)


class Compare(Op):
    """Broadcast comparison giving bool (object arrays compare elementwise too)."""
    fn = None

    def run(self, a, b):
        return (np.asarray(type(self).fn(a, b), dtype=np.bool_),)


class Variadic(Op):
    """Max/Min/Sum: fold a binary ufunc over 1..N broadcast inputs."""
    fn = None

    def run(self, *xs):
        out = functools.reduce(type(self).fn, xs)
        return (same_dtype(out, xs[0]),)
