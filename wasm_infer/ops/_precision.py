"""Accumulator precision shared by the ops that sum many products."""
import numpy as np


def acc_dtype(dtype):
    """float64 for float64 inputs, else float32: float16 sums (and products)
    lose digits, and integer inputs are computed in floating point."""
    return np.float64 if dtype == np.float64 else np.float32
