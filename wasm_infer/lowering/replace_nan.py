"""ReplaceNaN (Where(IsNaN(x), value, x), fuse_nan_guard) on the wasm kernel
f32_vreplace_nan, and with NumPy into preallocated memory elsewhere. Both are
exact: non-NaN elements keep their bits, NaN ones become the value's. They
apply when the output has x's shape (the value's rank at most x's)."""
import numpy as np

from ..ops.internal import DOMAIN
from . import F32, Lowered, NotApplicable, is_f32, lowering

_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def _value(op, specs, dtypes):
    """The constant one-element value, or NotApplicable why not."""
    x = specs[0]
    v = op.constant(1) if len(specs) > 1 else None
    if v is None or v.size != 1:
        return NotApplicable("the value is not a constant with one element")
    if x is None or x[0] is None or x[1] not in dtypes or v.dtype != x[1]:
        return NotApplicable(f"needs x and value of one of {[str(d) for d in dtypes]}")
    if v.ndim > len(x[0]):
        return NotApplicable(f"value of rank {v.ndim} broadcasts x of rank {len(x[0])} to a higher rank")
    return v


@lowering("ReplaceNaN", domain=DOMAIN)
def replace_nan(op, specs, k):
    v = _value(op, specs, (F32,))
    if isinstance(v, NotApplicable):
        return v
    if not is_f32(specs[0]):
        return NotApplicable("needs a float32 x with no empty axis")
    value = v.reshape(()).copy()
    return Lowered([(tuple(specs[0][0]), F32)],
                   lambda ins, outs: k.bind_replace_nan(ins[0], outs[0], value), "f32_vreplace_nan__wasmsimd")


@lowering("ReplaceNaN", domain=DOMAIN, kernel=False)
def replace_nan_numpy(op, specs, k):
    v = _value(op, specs, _FLOATS)
    if isinstance(v, NotApplicable):
        return v
    x = specs[0]
    value = v.reshape(()).copy()

    def bind(ins, outs):
        x, out = ins[0], outs[0]
        mask = np.empty(x.shape, bool)

        def run():      # out may be x's own memory (in place): the copy is then a no-op
            np.isnan(x, out=mask)
            np.copyto(out, x)
            np.copyto(out, value, where=mask)
        return run
    return Lowered([(tuple(x[0]), x[1])], bind, "numpy replace_nan")
