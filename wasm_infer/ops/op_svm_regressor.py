import numpy as np

from . import _ml, _svm
from ..errors import UnsupportedError
from .base import Op, register


@register("SVMRegressor", since=1, domain="ai.onnx.ml")
class SVMRegressor(Op):
    """sum_j coefficients[j] * kernel(x, support vector j) + rho (or, without
    support vectors, a linear model: x . coefficients + rho); one_class=1
    gives +1 / -1 by its sign: scikit-learn's SVR, NuSVR, OneClassSVM."""

    def init(self):
        self.kernel = _svm.kernel_of(self)
        self.coefficients = np.asarray(self.attr("coefficients", []), np.float64)
        self.rho = float(np.asarray(self.attr("rho", [0.0]), np.float64).reshape(-1)[0])
        self.n_supports = int(self.attr("n_supports", 0))
        vectors = np.asarray(self.attr("support_vectors", []), np.float64)
        if self.n_supports and vectors.size % self.n_supports:
            raise UnsupportedError(f"{vectors.size} support vector values for {self.n_supports} support vectors")
        self.vectors = vectors.reshape(self.n_supports, -1) if self.n_supports else None
        self.one_class = bool(self.attr("one_class", 0))
        if _ml.post_transform_of(self) != "NONE":
            raise UnsupportedError("SVMRegressor supports post_transform NONE only")

    def run(self, x):
        rows = _ml.as_matrix(x, np.float64)
        if self.vectors is not None:
            s = _svm.kernel(self, rows, self.vectors, *self.kernel) @ self.coefficients + self.rho
        else:
            s = rows @ self.coefficients + self.rho
        if self.one_class:
            s = np.where(s > 0, 1.0, -1.0)
        return (s.astype(np.float32).reshape(-1, 1),)
