"""TensorProto → numpy array, with every size checked before allocation."""
import numpy as np

from . import dtypes, lowp
from .errors import ModelError

MAX_ELEMENTS = 1 << 31  # wasm32 cannot address more bytes than this anyway


def _joined(chunks):
    return b"".join(bytes(c) for c in chunks)


def to_array(t, what=None):
    """Decode a TensorProto message (see onnx_proto) into a numpy array."""
    what = what or f"tensor {t.name!r}"
    dims = list(t.dims)
    if any(d < 0 for d in dims):
        raise ModelError(f"{what}: negative dimension in {dims}")
    count = 1
    for d in dims:
        count *= d
        if count > MAX_ELEMENTS:
            raise ModelError(f"{what}: {dims} has more than {MAX_ELEMENTS} elements")
    if t.data_location == 1 or t.external_data:
        raise ModelError(f"{what}: stored in external data, which needs the model's path "
                         "(load the model from a file, not from bytes)")
    dtype = dtypes.to_numpy(t.data_type, what)
    if t.data_type in dtypes.EXOTIC:
        data = _exotic(t, count, what)
    elif t.data_type == dtypes.STRING:
        values = [bytes(s).decode("utf-8", "replace") for s in t.string_data]
        data = np.array(values, dtype=object)
    elif t.has("raw_data"):
        raw = t.raw_data
        if len(raw) != count * dtype.itemsize:
            raise ModelError(f"{what}: raw_data has {len(raw)} bytes, dims {dims} of "
                             f"{dtype} need {count * dtype.itemsize}")
        data = np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype, copy=True)
    else:
        data = _from_typed_fields(t, dtype)
    if data.size != count:
        raise ModelError(f"{what}: holds {data.size} values, dims {dims} need {count}")
    return data.reshape(dims)


def _exotic(t, count, what):
    """bfloat16/float8 (one value per raw unit or per int32_data entry) and the
    sub-byte types (packed, lowest bits first, in raw_data or int32_data bytes)."""
    elem = t.data_type
    width = dtypes.SUBBYTE_BITS.get(elem)
    storage = np.dtype(dtypes.EXOTIC[elem][0])
    if t.has("raw_data"):
        raw = np.frombuffer(t.raw_data, dtype=np.uint8)
    else:
        raw = np.array(t.int32_data, dtype=np.int64).astype(np.uint16 if storage.itemsize == 2 else np.uint8)
    if width is None:
        if t.has("raw_data"):
            if len(raw) != count * storage.itemsize:
                raise ModelError(f"{what}: raw_data has {len(raw)} bytes, {count} values need "
                                 f"{count * storage.itemsize}")
            raw = raw.view("<u2").astype(np.uint16) if storage.itemsize == 2 else raw
        return dtypes.wrap(raw, elem)
    need = -(-count * width // 8)
    if len(raw) != need:
        raise ModelError(f"{what}: holds {len(raw)} packed bytes, {count} values of "
                         f"{dtypes.NAMES[elem]} need {need}")
    signed = elem in (dtypes.INT4, dtypes.INT2)
    return dtypes.wrap(lowp.unpack_subbyte(raw, count, width, signed), elem)


def sparse_to_array(sp, what="sparse tensor"):
    """SparseTensorProto → dense numpy array (values scattered at indices,
    given either as [NNZ] linear indices or [NNZ, rank] coordinates)."""
    values = to_array(sp.values, what)
    dims = list(sp.dims)
    indices = to_array(sp.indices, what).astype(np.int64)
    dense = np.zeros(dims, dtype=values.dtype)
    if indices.ndim == 2:
        dense[tuple(indices.T)] = values
    else:
        dense.reshape(-1)[indices] = values
    return dense


def _from_typed_fields(t, dtype):
    if t.data_type == dtypes.FLOAT:
        return np.frombuffer(_joined(t.float_data), dtype="<f4").astype(np.float32)
    if t.data_type == dtypes.DOUBLE:
        return np.frombuffer(_joined(t.double_data), dtype="<f8").astype(np.float64)
    if t.data_type == dtypes.INT64:
        return np.array(t.int64_data, dtype=np.int64)
    if t.data_type in (dtypes.UINT32, dtypes.UINT64):
        return np.array(t.uint64_data, dtype=dtype)
    if t.data_type == dtypes.FLOAT16:  # stored as the 16-bit patterns in int32_data
        return np.array(t.int32_data, dtype=np.uint16).view(np.float16)
    if t.data_type in (dtypes.COMPLEX64, dtypes.COMPLEX128):
        src = t.float_data if t.data_type == dtypes.COMPLEX64 else t.double_data
        parts = np.frombuffer(_joined(src), dtype="<f4" if t.data_type == dtypes.COMPLEX64 else "<f8")
        return parts.astype(dtype.type(0).real.dtype).view(dtype)
    return np.array(t.int32_data, dtype=np.int64).astype(dtype)
