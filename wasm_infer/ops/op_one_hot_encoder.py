import numpy as np

from ..errors import UnsupportedError
from ..limits import check_output
from .base import Op, register


@register("OneHotEncoder", since=1, domain="ai.onnx.ml")
class OneHotEncoder(Op):
    """Each value as a one-hot row over the categories (int64 or string), on a
    new last axis, float32: scikit-learn's OneHotEncoder for categorical
    columns. A value in no category is a row of zeros with zeros=1 (the
    default), an error with zeros=0."""

    def init(self):
        ints, strings = self.attr("cats_int64s"), self.attr("cats_strings")
        cats = list(ints) if ints is not None and len(ints) else list(strings or [])
        if not cats:
            raise UnsupportedError("OneHotEncoder needs cats_int64s or cats_strings")
        self.index = {v: i for i, v in enumerate(cats)}
        self.n = len(cats)
        self.zeros = bool(self.attr("zeros", 1))

    def run(self, x):
        check_output(self, (*x.shape, self.n), 4)     # a row of categories per value: refused before allocating
        values = x.reshape(-1).tolist()
        if x.dtype.kind == "f":        # a float input is cast to int64 (truncated), as the spec and onnxruntime do
            values = [int(v) if np.isfinite(v) else v for v in values]
        at = np.array([self.index.get(v, -1) for v in values], np.intp)
        if not self.zeros and (at < 0).any():
            raise ValueError(f"value {values[int(np.flatnonzero(at < 0)[0])]!r} is in no category (zeros=0)")
        out = np.zeros((at.size, self.n), np.float32)
        hit = at >= 0
        out[np.flatnonzero(hit), at[hit]] = 1.0
        return (out.reshape(*x.shape, self.n),)
