import numpy as np

from . import _ml
from ..errors import UnsupportedError
from ..limits import check_matmul
from .base import Op, register


@register("LinearRegressor", since=1, domain="ai.onnx.ml")
class LinearRegressor(Op):
    """x @ coefficients.T + intercepts for `targets` outputs, then the
    post_transform (_ml.regression_transform): scikit-learn's linear models
    (LinearRegression, Ridge...)."""

    def init(self):
        self.targets = int(self.attr("targets", 1))
        self.coefficients = np.asarray(self.attr("coefficients", []), np.float32)
        intercepts = self.attr("intercepts")
        self.intercepts = np.asarray(intercepts if intercepts else np.zeros(self.targets), np.float32)
        if self.targets < 1 or self.intercepts.size != self.targets:
            raise UnsupportedError(f"{self.intercepts.size} intercepts for {self.targets} targets")
        self.post = _ml.post_transform_of(self)

    def run(self, x):
        rows = _ml.as_matrix(x)
        coef = _ml.coefficient_rows(self.coefficients, self.targets, rows.shape[1], "LinearRegressor")
        check_matmul(self, rows.shape, coef.T.shape, rows.dtype.itemsize)
        return (_ml.regression_transform(rows @ coef.T + self.intercepts, self.post),)
