"""Helpers and base classes shared by the elementwise op files."""
import functools

import numpy as np

from ..limits import check_broadcast
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


class Unary(Op):
    """y = fn(x) with the input's dtype. Subclasses set `fn`, or override
    `compute` when the op reads attributes."""
    fn = None

    def compute(self, x):
        return type(self).fn(x)

    def run(self, x):
        return (same_dtype(self.compute(x), x),)



class Binary(Op):
    """z = fn(a, b) with NumPy broadcasting and the first input's dtype.
    Subclasses whose `fn` is exact for floats set `plan_ufunc = True`: the
    memory plan may then compute fn(a, b, out=arena view) for float inputs
    (lowering/numpy_out.py)."""
    fn = None
    plan_ufunc = False
    inplace = (0, 1)    # elementwise: out may be an operand of its shape

    def compute(self, a, b):
        return type(self).fn(a, b)

    def run(self, a, b):
        check_broadcast(self, (a, b))
        return (same_dtype(self.compute(a, b), a),)


class Compare(Op):
    """Broadcast comparison giving bool (object arrays compare elementwise too)."""
    fn = None

    def run(self, a, b):
        check_broadcast(self, (a, b), 1)
        return (np.asarray(type(self).fn(a, b), dtype=np.bool_),)


class Variadic(Op):
    """Max/Min/Sum: fold a binary ufunc over 1..N broadcast inputs."""
    fn = None

    def run(self, *xs):
        check_broadcast(self, xs)
        out = functools.reduce(type(self).fn, xs)
        return (same_dtype(out, xs[0]),)
