import numpy as np

from . import _ml
from ..errors import UnsupportedError
from ..limits import check_matmul
from .base import Op, register


@register("LinearClassifier", since=1, domain="ai.onnx.ml")
class LinearClassifier(Op):
    """Scores x @ coefficients.T + intercepts (one column per class, or one
    for a binary model), the post_transform, and the label of the best score:
    scikit-learn's LogisticRegression, LinearSVC, SGDClassifier...

    A binary model with one score column s (two labels) does as onnxruntime:
    its label is the second class where s > 0, and its scores are [1 - v, v]
    with v the logistic of s under LOGISTIC, else s itself (onnxruntime
    applies no other transform to one score). PROBIT is refused: no exporter
    writes it for a classifier, and onnxruntime's results for it are not
    probabilities."""

    def init(self):
        self.labels, self.strings = _ml.class_labels(self)
        self.coefficients = np.asarray(self.attr("coefficients", []), np.float32)
        self.intercepts = self.attr("intercepts")
        self.post = _ml.post_transform_of(self)
        if self.post == "PROBIT":
            raise UnsupportedError("post_transform PROBIT is not supported for a classifier")

    def run(self, x):
        rows = _ml.as_matrix(x)
        if rows.shape[1] == 0 or self.coefficients.size % rows.shape[1]:
            raise ValueError(f"LinearClassifier has {self.coefficients.size} coefficients: not a whole number of "
                             f"rows of the input's {rows.shape[1]} features")
        # [N, 1] rows by [C, 1] coefficients is N x C: a product like MatMul's
        check_matmul(self, rows.shape, (rows.shape[1], self.coefficients.size // rows.shape[1]), rows.dtype.itemsize)
        scores = rows @ self.coefficients.reshape(-1, rows.shape[1]).T
        if self.intercepts:
            scores = scores + np.asarray(self.intercepts, np.float32)
        n_labels = 0 if self.labels is None else len(self.labels)
        if scores.shape[1] == 1 and n_labels == 2:
            s = scores[:, 0]
            v = _ml.post_transform(scores, "LOGISTIC")[:, 0] if self.post == "LOGISTIC" else s
            return self.labels[(s > 0).astype(np.intp)], np.stack([1 - v, v], axis=1).astype(np.float32)
        scores = _ml.post_transform(scores, self.post)
        if scores.shape[1] == 1:        # one score and not two labels: the label is the test itself
            best = (scores[:, 0] >= (0.0 if self.post == "NONE" else 0.5)).astype(np.int64)
            labels = best if self.labels is None else np.where(best == 1, self.labels[0], 0 if not self.strings else "")
            return np.asarray(labels, object if self.strings else np.int64), scores
        best = np.argmax(scores, axis=1)
        return (best.astype(np.int64) if self.labels is None else self.labels[best]), scores
