import numpy as np

from .base import register
from ._elementwise import floating
from ._reduce import Reduce


@register("ReduceLogSumExp", since=1)
class ReduceLogSumExp1(Reduce):
    """log(sum(exp(x))) shifted by the max so exp cannot overflow; an empty
    set gives -inf."""
    def reduce(self, x, axes, keepdims):
        f = floating(x)
        m = np.max(f, axis=axes, keepdims=True, initial=-np.inf)
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(f - m), axis=axes, keepdims=True)) + m
        return out if keepdims else np.squeeze(out, axis=axes)


@register("ReduceLogSumExp", since=18)
class ReduceLogSumExp(ReduceLogSumExp1):
    """axes moved to an optional input."""
