"""Shared pieces of the normalisation ops."""
import numpy as np

# stash_type is a TensorProto element type: the precision of mean/variance.
_STASH = {1: np.float32, 10: np.float16, 11: np.float64}


def stash_dtype(op, x):
    return _STASH.get(int(op.attr("stash_type", 1)), np.float32 if x.dtype != np.float64 else np.float64)


def standardize(x, axes, epsilon):
    """(x - mean) / sqrt(var + eps) over `axes`, with mean and 1/std
    (keepdims). Computed in x's dtype: callers cast first."""
    mean = np.mean(x, axis=axes, keepdims=True)
    diff = x - mean
    inv_std = 1 / np.sqrt(np.mean(diff * diff, axis=axes, keepdims=True) + epsilon)
    return diff * inv_std, mean, inv_std
