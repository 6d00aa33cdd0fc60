import numpy as np

from . import _ml
from ._classic_trees import Trees
from ..errors import UnsupportedError
from ..limits import check_output
from .base import Op, register


@register("TreeEnsembleRegressor", since=1, domain="ai.onnx.ml")
class TreeEnsembleRegressor(Op):
    """The leaf weights each sample reaches, aggregated over the trees (SUM,
    AVERAGE, MIN, MAX) per target, plus base_values, then the post_transform
    (_ml.regression_transform):
    scikit-learn's random forests, gradient boosting and decision trees for
    regression (see _classic_trees)."""

    def init(self):
        self.n_targets = int(self.attr("n_targets", 1))
        if self.n_targets < 1:
            raise UnsupportedError(f"n_targets is {self.n_targets}")
        self.trees = Trees(self, "target", self.n_targets)
        self.aggregate = self.attr("aggregate_function", "SUM")
        if self.aggregate not in ("SUM", "AVERAGE", "MIN", "MAX"):
            raise UnsupportedError(f"aggregate_function {self.aggregate!r} is not SUM, AVERAGE, MIN or MAX")
        base = self.attr("base_values_as_tensor", self.attr("base_values"))
        self.base = np.asarray(base if base is not None and len(base) else np.zeros(self.n_targets), np.float64)
        if self.base.size != self.n_targets:
            raise UnsupportedError(f"{self.base.size} base_values for {self.n_targets} targets")
        self.post = _ml.post_transform_of(self)

    def run(self, x):
        check_output(self, (x.shape[0] if x.ndim > 1 else 1, self.n_targets), 8)
        scores = self.trees.scores(_ml.as_matrix(x, np.float64), self.n_targets, self.aggregate, self.base,
                                  unreached_zero=True)
        return (_ml.regression_transform(scores, self.post),)
