import numpy as np

from ..errors import UnsupportedError
from .base import Op, register


@register("Normalizer", since=1, domain="ai.onnx.ml")
class Normalizer(Op):
    """Each row divided by its MAX (largest value), L1 (sum of absolute
    values) or L2 (Euclidean) norm, as float32; a 1-D input is one row; a
    row whose norm is 0 stays 0, as in onnxruntime and scikit-learn."""

    def init(self):
        self.norm = self.attr("norm", "MAX")
        if self.norm not in ("MAX", "L1", "L2"):
            raise UnsupportedError(f"norm {self.norm!r} is not MAX, L1 or L2")

    def run(self, x):
        rows = x.astype(np.float32).reshape(1, -1) if x.ndim <= 1 else x.astype(np.float32)
        if self.norm == "MAX":
            d = rows.max(axis=-1, keepdims=True)
        elif self.norm == "L1":
            d = np.abs(rows).sum(axis=-1, keepdims=True)
        else:
            d = np.sqrt((rows * rows).sum(axis=-1, keepdims=True))
        out = np.divide(rows, d, out=np.zeros_like(rows), where=d != 0)    # a row of zeros stays zeros
        return (out.astype(np.float32).reshape(x.shape),)
