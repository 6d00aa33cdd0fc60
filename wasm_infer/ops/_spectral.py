"""Complex tensors as ONNX spells them: a trailing axis of 1 (real) or
2 (real, imaginary)."""
import numpy as np


def to_complex(x):
    """complex64 for float32/float16 (numpy >= 2.0 transforms these in single
    precision, as onnx.reference does), complex128 for float64."""
    ctype = np.complex128 if x.dtype == np.float64 else np.complex64
    if x.shape[-1] == 1:
        return x[..., 0].astype(ctype)
    z = np.empty(x.shape[:-1], ctype)
    z.real, z.imag = x[..., 0], x[..., 1]
    return z


def from_complex(z, dtype):
    return np.stack([z.real, z.imag], axis=-1).astype(dtype)
