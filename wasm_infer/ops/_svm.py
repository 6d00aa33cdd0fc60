"""The kernel functions of the support vector machine ops (ai.onnx.ml SVMRegressor,
SVMClassifier): LINEAR, POLY, RBF, SIGMOID over kernel_params
(gamma, coef0, degree), between the rows of x and the support vectors."""
import numpy as np

from ..errors import UnsupportedError
from ..limits import check_matmul

KERNELS = ("LINEAR", "POLY", "RBF", "SIGMOID")


def kernel_of(op):
    """(kernel name, gamma, coef0, degree), checked at session creation."""
    kind = op.attr("kernel_type", "LINEAR").upper()
    if kind not in KERNELS:
        raise UnsupportedError(f"kernel_type {kind!r} is not one of {', '.join(KERNELS)}")
    params = list(op.attr("kernel_params", []) or [])
    gamma, coef0, degree = (params + [0.0, 0.0, 0.0])[:3]
    return kind, float(gamma), float(coef0), float(degree)


def kernel(op, x, vectors, kind, gamma, coef0, degree):
    """[N, V] kernel values of each row of x [N, F] with each vector [V, F] (float64).
    `op` (the node) is named if [N, V] would be too large: a product like MatMul's."""
    check_matmul(op, x.shape, vectors.T.shape, 8)
    if kind == "RBF":
        d = (x * x).sum(1)[:, None] - 2 * x @ vectors.T + (vectors * vectors).sum(1)[None, :]
        return np.exp(-gamma * np.maximum(d, 0.0))
    dot = x @ vectors.T
    if kind == "POLY":
        return (gamma * dot + coef0) ** degree
    if kind == "SIGMOID":
        return np.tanh(gamma * dot + coef0)
    return dot
