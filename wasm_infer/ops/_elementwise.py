"""Helpers shared by the elementwise op files."""
import numpy as np


def same_dtype(result, like):
    """NumPy may promote (e.g. int8 + int8 scalar ops); ONNX keeps the input type."""
    return result if result.dtype == like.dtype else result.astype(like.dtype)


def as_array(x):
    return x if isinstance(x, np.ndarray) else np.asarray(x)
