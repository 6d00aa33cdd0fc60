"""Shared pieces of the linear quantisation ops: laying a scale or zero
point over the input (per tensor, per axis or per block) and saturating
rounded values into the quantised type."""
import numpy as np

from .. import dtypes
from ..errors import InputError

# ONNX integer element type -> (lowest, highest) representable value.
INT_RANGES = {
    dtypes.UINT8: (0, 255), dtypes.INT8: (-128, 127),
    dtypes.UINT16: (0, 65535), dtypes.INT16: (-32768, 32767),
    dtypes.INT32: (-2 ** 31, 2 ** 31 - 1),
    dtypes.UINT4: (0, 15), dtypes.INT4: (-8, 7), dtypes.UINT2: (0, 3), dtypes.INT2: (-2, 1),
}
# Float targets: x / scale is cast (round to nearest even, optionally saturating).
FLOAT_TARGETS = {dtypes.FLOAT8E4M3FN, dtypes.FLOAT8E4M3FNUZ, dtypes.FLOAT8E5M2,
                 dtypes.FLOAT8E5M2FNUZ, dtypes.FLOAT4E2M1}


def values(x):
    """Numeric values of any array (exotic types decoded), for computing."""
    return dtypes.to_standard(np.asarray(x))


def spread(value, shape, axis, block_size=0, what="scale"):
    """`value` reshaped (and, for blocked quantisation, repeated) so that it
    broadcasts against an input of `shape`."""
    value = np.asarray(value)
    if value.ndim == 0 or (value.size == 1 and not block_size):
        return value.reshape(())
    axis = axis + len(shape) if axis < 0 else axis
    if not 0 <= axis < len(shape):
        raise InputError(f"{what}: axis {axis} is out of range for an input of rank {len(shape)}")
    if not block_size:
        if value.ndim != 1 or value.shape[0] != shape[axis]:
            raise InputError(f"{what}: shape {list(value.shape)} does not match axis {axis} of {list(shape)}")
        dims = [1] * len(shape)
        dims[axis] = value.shape[0]
        return value.reshape(dims)
    # Blocked: each entry covers block_size consecutive elements along axis;
    # the last block may be partial.
    full = np.repeat(value, block_size, axis=axis)
    full = np.take(full, np.arange(shape[axis], dtype=np.intp), axis=axis)
    if full.shape != tuple(shape):
        raise InputError(f"{what}: blocked shape {list(value.shape)} with block_size {block_size} "
                         f"does not cover an input of shape {list(shape)}")
    return full


def saturate_int(values, onnx_type):
    """Round half to even, clamp to the range of `onnx_type`, store."""
    lo, hi = INT_RANGES[onnx_type]
    out = np.clip(np.rint(values.astype(np.float64)), lo, hi)
    if dtypes.is_exotic(dtypes.NUMPY_OF[onnx_type]):
        return dtypes.wrap(out.astype(np.int8), onnx_type)
    return out.astype(dtypes.NUMPY_OF[onnx_type])
