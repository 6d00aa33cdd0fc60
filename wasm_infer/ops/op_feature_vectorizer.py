import numpy as np

from . import _ml
from ..errors import InputError, ModelError
from ..limits import check_output
from .base import Op, register


@register("FeatureVectorizer", since=1, domain="ai.onnx.ml")
class FeatureVectorizer(Op):
    """Concatenates its inputs' features into one float32 [N, sum(inputdimensions)]:
    input i gives its first inputdimensions[i] features of each row (its
    values after the first axis, flattened; a 1-D input is one row), zero-padded
    when it has fewer. Every input must have the same number of rows."""

    def init(self):
        self.dims = [int(d) for d in self.attr("inputdimensions", [])]
        where = f"node {self.node.name!r} (FeatureVectorizer)"
        if len(self.dims) != len(self.node.inputs):
            raise ModelError(f"{where}: {len(self.node.inputs)} inputs but {len(self.dims)} inputdimensions")
        if any(d < 0 for d in self.dims):
            raise ModelError(f"{where}: inputdimensions {self.dims} must not be negative")

    def run(self, *xs):
        where = f"node {self.node.name!r} (FeatureVectorizer)"
        for i, x in enumerate(xs):
            if x.dtype.kind not in "fiu":
                raise InputError(f"{where}: input {i} is {x.dtype}, not a number type")
        rows = [_ml.as_matrix(x) for x in xs]       # float32 [rows, features], as the output
        n = rows[0].shape[0]
        for i, r in enumerate(rows):
            if r.shape[0] != n:
                raise InputError(f"{where}: input 0 has {n} rows and input {i} has {r.shape[0]}; "
                                 "all inputs must have the same number of rows")
        check_output(self, (n, sum(self.dims)), 4)    # inputdimensions can ask for any width: refused first
        out = np.zeros((n, sum(self.dims)), np.float32)
        at = 0
        for r, d in zip(rows, self.dims):
            take = min(d, r.shape[1])
            out[:, at:at + take] = r[:, :take]
            at += d
        return (out,)
