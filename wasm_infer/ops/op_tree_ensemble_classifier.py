import numpy as np

from . import _ml
from ._classic_trees import Trees
from ..errors import UnsupportedError
from ..limits import check_output
from .base import Op, register


@register("TreeEnsembleClassifier", since=1, domain="ai.onnx.ml")
class TreeEnsembleClassifier(Op):
    """Per class, the sum of the leaf weights each sample reaches plus
    base_values; the post_transform; the label of the best score:
    scikit-learn's random forests, gradient boosting and decision trees for
    classification (see _classic_trees).

    A binary model whose weights all go to one column (gradient boosting)
    scores each sample by one sum s and does as onnxruntime: when every
    weight is >= 0 the label is the second class where s > 0.5 and the
    scores are [1 - s, s]; otherwise where s > 0, with scores [-s, s]; under
    LOGISTIC the scores are [1 - p, p] with p the logistic of s, and no other
    transform applies to them. With two labels and weights in both columns
    (a random forest) the label is the best score's, as the ONNX-ML text
    says; onnxruntime returns the index 0 / 1 there, decided by the second
    column alone, and follows rules of its own when such a model also has
    base_values."""

    def init(self):
        self.labels, self.strings = _ml.class_labels(self)
        if self.labels is None:
            raise UnsupportedError("TreeEnsembleClassifier needs classlabels_int64s or classlabels_strings")
        self.trees = Trees(self, "class", len(self.labels))
        self.post = _ml.post_transform_of(self)
        if self.post == "PROBIT":
            raise UnsupportedError("post_transform PROBIT is not supported for a classifier")
        base = self.attr("base_values_as_tensor", self.attr("base_values"))
        self.base = None if base is None or not len(base) else np.asarray(base, np.float64)
        self.one_column = len(self.labels) == 2 and len(set(self.trees.w_target.tolist())) == 1
        if self.base is not None and self.base.size not in ((1, 2) if self.one_column else (len(self.labels),)):
            raise UnsupportedError(f"{self.base.size} base_values for {len(self.labels)} classes")
        self.positive = bool((self.trees.w_value >= 0).all())

    def run(self, x):
        rows = _ml.as_matrix(x, np.float64)
        check_output(self, (rows.shape[0], len(self.labels)), 8)   # a score per row and class, as the regressor's
        if self.one_column:
            column = int(self.trees.w_target[0])
            base = None if self.base is None else self.base[min(column, self.base.size - 1)]
            s = self.trees.scores(rows, column + 1, "SUM", base)[:, column].astype(np.float32)
            if self.post == "LOGISTIC":
                p = _ml.post_transform(s[:, None], "LOGISTIC")[:, 0]
                scores = np.stack([1 - p, p], axis=1)
            else:
                scores = np.stack([1 - s if self.positive else -s, s], axis=1)
            return self.labels[(s > (0.5 if self.positive else 0.0)).astype(np.intp)], scores.astype(np.float32)
        scores = self.trees.scores(rows, len(self.labels), "SUM", self.base)
        scores = _ml.post_transform(scores.astype(np.float32), self.post)
        return self.labels[np.argmax(scores, axis=1)], scores
