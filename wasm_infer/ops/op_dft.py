import numpy as np

from ..errors import InputError
from ..limits import check_output
from .base import Op, register
from ._spectral import from_complex, to_complex


def dft(op, x, length, axis, inverse, onesided):
    """DFT of the complex signal x[..., 1|2] along `axis` (which counts the
    trailing complex axis as part of the rank). onesided forward keeps
    length // 2 + 1 bins; onesided inverse (IRFFT) returns a real [..., 1]."""
    if x.ndim < 2 or x.shape[-1] not in (1, 2) or (inverse and onesided and x.shape[-1] != 2):
        raise InputError(f"node {op.node.name!r} (DFT): input {list(x.shape)}: the last axis must be 1 (real) or "
                         f"2 (complex){'; 2 for an inverse one-sided DFT' if inverse and onesided else ''}")
    if not -x.ndim <= axis < x.ndim or axis % x.ndim == x.ndim - 1:
        raise InputError(f"node {op.node.name!r} (DFT): axis {axis} of an input of rank {x.ndim} (its last axis is "
                         f"the real and imaginary parts)")
    axis = axis % x.ndim
    z = to_complex(x)
    if length is None:
        length = 2 * (z.shape[axis] - 1) if inverse and onesided else z.shape[axis]
    # dft_length (an input) can be any size: the transform of that length, complex, is made first
    check_output(op, z.shape[:axis] + (max(length, 0),) + z.shape[axis + 1:], 2 * z.dtype.itemsize)
    if inverse and onesided:
        return np.fft.irfft(z, n=length, axis=axis)[..., None].astype(x.dtype)
    y = np.fft.ifft(z, n=length, axis=axis) if inverse else np.fft.fft(z, n=length, axis=axis)
    if onesided and not inverse:
        y = np.take(y, np.arange(length // 2 + 1), axis=axis)
    return from_complex(y, x.dtype)


def _scalar(v):
    return None if v is None or v.size == 0 else int(np.asarray(v).reshape(-1)[0])


@register("DFT", since=17)
class DFT17(Op):
    """axis is an attribute (default 1)."""
    def run(self, x, dft_length=None):
        return (dft(self, x, _scalar(dft_length), int(self.attr("axis", 1)), bool(self.attr("inverse", 0)),
                    bool(self.attr("onesided", 0))),)


@register("DFT", since=20)
class DFT(Op):
    """axis is an optional input (default -2, the last signal axis)."""
    def run(self, x, dft_length=None, axis=None):
        ax = -2 if _scalar(axis) is None else _scalar(axis)
        return (dft(self, x, _scalar(dft_length), ax, bool(self.attr("inverse", 0)), bool(self.attr("onesided", 0))),)
