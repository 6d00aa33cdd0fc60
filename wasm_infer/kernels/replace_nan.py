"""NaN replacement binder (the guard torch exports after an attention Softmax).

  bind_replace_nan(x, out, value)
      out = where(isnan(x), value, x) elementwise, bit for bit (value: one
      float, any bits, NaN included). x, out: float32, C-contiguous, same
      shape; out may be x (in place).
"""
import numpy as np

from .checks import _bound, _check_elementwise, _nothing
from .loader import _func


def bind_replace_nan(x, out, value):
    """Validate out = where(isnan(x), value, x) and return a runner."""
    f = _func("f32_vreplace_nan__wasmsimd")
    _check_elementwise(x, out, "replace_nan")
    v = np.asarray(value)
    if v.dtype != np.float32 or v.size != 1:
        raise ValueError(f"replace_nan: value must be one float32, got {v.dtype} of shape {v.shape}")
    p = v.reshape(1).copy()     # its own buffer: the kernel reads params[0]
    if x.size == 0:
        return _nothing
    return _bound([(f, (x.size, x.ctypes.data, out.ctypes.data, p.ctypes.data))], (x, out, p))
