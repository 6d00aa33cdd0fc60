"""What the classical-ML ops (ai.onnx.ml) share: the post_transform applied
to scores, and class labels by index."""
import numpy as np

from ..errors import UnsupportedError

POST_TRANSFORMS = ("NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO", "PROBIT")


def post_transform_of(op):
    """The op's post_transform attribute, checked at session creation."""
    name = op.attr("post_transform", "NONE")
    if name not in POST_TRANSFORMS:
        raise UnsupportedError(f"post_transform {name!r} is not one of {', '.join(POST_TRANSFORMS)}")
    return name


def post_transform(scores, name):
    """scores [N, E] (float32) after `name`, row by row as the ONNX-ML spec
    defines each; a new array."""
    s = scores.astype(np.float32, copy=True)
    if name == "LOGISTIC":
        return (1.0 / (1.0 + np.exp(-s))).astype(np.float32)
    if name == "SOFTMAX":
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    if name == "SOFTMAX_ZERO":      # a softmax over the non-zero scores; zeros stay zero
        zero = np.abs(s) <= 1e-7
        e = np.where(zero, 0.0, np.exp(s - s.max(axis=1, keepdims=True)))
        total = e.sum(axis=1, keepdims=True)
        return np.where(total == 0, 0.5, e / np.where(total == 0, 1, total)).astype(np.float32)
    if name == "PROBIT":            # sqrt(2) * erfinv(2p - 1), with Winitzki's closed-form erfinv (a = 0.147);
        x = 2 * s - 1               # NaN outside 0 < p < 1, as in onnxruntime
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.log((1 - x) * (1 + x))
            v = np.float32(2 / (np.pi * 0.147)) + 0.5 * w
            return (np.float32(np.sqrt(2)) * np.where(x < 0, -1, 1) *
                    np.sqrt(-v + np.sqrt(v * v - w / np.float32(0.147)))).astype(np.float32)
    return s


def regression_transform(scores, name):
    """post_transform of a regressor's scores [N, targets]: with one target
    only PROBIT applies, as in onnxruntime (a softmax or logistic of a single
    score is left out there)."""
    if scores.shape[1] == 1 and name != "PROBIT":
        return scores.astype(np.float32)
    return post_transform(scores, name)


def class_labels(op):
    """(labels as an int64 or object array, is_string) from classlabels_int64s /
    classlabels_ints / classlabels_strings; None when the op has none."""
    strings = op.attr("classlabels_strings")
    if strings:
        return np.array(strings, dtype=object), True
    ints = op.attr("classlabels_int64s", op.attr("classlabels_ints"))
    if ints is not None and len(ints):
        return np.asarray(ints, np.int64), False
    return None, False


def as_matrix(x, dtype=np.float32):
    """x as [N, C] of `dtype` (a 1-D x is one row), as the ML ops read their input;
    trees and SVMs take float64, in which float32 thresholds compare exactly."""
    x = np.asarray(x)
    return (x.reshape(1, -1) if x.ndim <= 1 else x.reshape(x.shape[0], int(np.prod(x.shape[1:])))).astype(dtype)


def coefficient_rows(coefficients, rows, features, what):
    """coefficients as [rows, features], or a clear error when their count does not fit."""
    if coefficients.size != rows * features:
        raise ValueError(f"{what} has {coefficients.size} coefficients: not {rows} rows of the input's "
                         f"{features} features")
    return coefficients.reshape(rows, features)
