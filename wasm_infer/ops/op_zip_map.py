import numpy as np

from . import _ml
from ..errors import UnsupportedError
from ..limits import check_objects
from .base import Op, register


@register("ZipMap", since=1, domain="ai.onnx.ml")
class ZipMap(Op):
    """Each row of scores [N, C] as a dict {class label: score}: the list of
    dicts (seq(map(int64 or string, float))) scikit-learn classifiers export
    their probabilities as, and onnxruntime returns to Python."""

    def init(self):
        self.labels, _ = _ml.class_labels(self)
        if self.labels is None:
            raise UnsupportedError("ZipMap needs classlabels_int64s or classlabels_strings")
        self.keys = self.labels.tolist()

    def run(self, x):
        rows = np.asarray(x, np.float32).reshape(-1, x.shape[-1] if x.ndim else 1)
        if rows.shape[1] != len(self.keys):
            raise ValueError(f"ZipMap has {len(self.keys)} class labels, its input {rows.shape[1]} columns")
        # a dict per row and a float object per score: ~60 bytes a score where the input holds 4
        check_objects(self, rows.shape[0], 200 + 64 * rows.shape[1], f"dicts of {rows.shape[1]} scores")
        return ([dict(zip(self.keys, row)) for row in rows.tolist()],)
