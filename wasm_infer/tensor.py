"""TensorProto → numpy array, with every size checked before allocation.

Order of checks for each tensor: dimensions (non-negative, element count
bounded), element type, then the byte size dims × dtype against the data
actually present (inline) or the extent named in the file (external), then
the memory budget (limits.py) — all before any array is created. External
data is read only from regular files inside the model's directory.
"""
import os
import re
import stat

import numpy as np

from . import dtypes, limits, lowp
from .errors import ModelError
from .wire_numbers import int_values

MAX_ELEMENTS = 1 << 31  # wasm32 cannot address more bytes than this anyway


def _joined(chunks):
    return b"".join(bytes(c) for c in chunks)


def _count(dims, what):
    if any(d < 0 for d in dims):
        raise ModelError(f"{what}: negative dimension in {dims}")
    count = 1
    for d in dims:
        count *= d
        if count > MAX_ELEMENTS:
            raise ModelError(f"{what}: dims {dims} describe more than {MAX_ELEMENTS} elements")
    return count


def _storage_bytes(elem, dtype, count):
    """Bytes the tensor's values take in raw_data / external data."""
    width = dtypes.SUBBYTE_BITS.get(elem)
    if width is not None:
        return -(-count * width // 8)
    if elem in dtypes.EXOTIC:
        return count * np.dtype(dtypes.EXOTIC[elem][0]).itemsize
    return count * dtype.itemsize


def to_array(t, what=None, external=None, budget=None):
    """Decode a TensorProto message (see onnx_proto) into a numpy array.

    external: an ExternalData for the model's directory (None: a model loaded
    from bytes, whose external tensors cannot be resolved); budget: a
    limits.Budget the tensor's bytes are charged to."""
    what = what or f"tensor {t.name!r}"
    dims = list(t.dims)
    count = _count(dims, what)
    elem = t.data_type
    dtype = dtypes.to_numpy(elem, what)
    nbytes = _storage_bytes(elem, dtype, count) if elem != dtypes.STRING else 0
    limits.check_tensor(max(nbytes, count * dtype.itemsize), what)
    if budget is not None:
        budget.add(count * dtype.itemsize, what)
    if t.data_location == 1 or t.external_data:
        if elem == dtypes.STRING:
            raise ModelError(f"{what}: string tensors cannot be stored in external data")
        if external is None:
            raise ModelError(f"{what}: stored in external data, which needs the model's path "
                             "(load the model from a file, not from bytes)")
        data = _from_raw(external.read(t, nbytes, what), elem, dtype, count, what)
    elif elem == dtypes.STRING:
        if len(t.string_data) != count:
            raise ModelError(f"{what}: holds {len(t.string_data)} strings, dims {dims} need {count}")
        values = [bytes(s).decode("utf-8", "replace") for s in t.string_data]
        data = np.array(values, dtype=object) if values else np.zeros(0, object)
    elif t.has("raw_data"):
        if len(t.raw_data) != nbytes:
            raise ModelError(f"{what}: raw_data has {len(t.raw_data)} bytes, dims {dims} of "
                             f"{dtypes.NAMES.get(elem, elem)} need {nbytes}")
        data = _from_raw(t.raw_data, elem, dtype, count, what)
    elif elem in dtypes.EXOTIC:
        data = _exotic(int_values(t.int32_data), elem, count, what)
    else:
        data = _from_typed_fields(t, dtype, count, what)
    if data.size != count:
        raise ModelError(f"{what}: holds {data.size} values, dims {dims} need {count}")
    return data.reshape(dims)


def _from_raw(raw, elem, dtype, count, what):
    if elem in dtypes.EXOTIC:
        return _exotic(np.frombuffer(raw, dtype=np.uint8), elem, count, what, packed_bytes=True)
    return np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype, copy=True)


def _exotic(raw, elem, count, what, packed_bytes=False):
    """bfloat16/float8 (one value per raw unit or per int32_data entry) and the
    sub-byte types (packed, lowest bits first, in raw_data or int32_data bytes)."""
    width = dtypes.SUBBYTE_BITS.get(elem)
    storage = np.dtype(dtypes.EXOTIC[elem][0])
    if not packed_bytes:   # int32_data: one storage unit per entry
        raw = raw.astype(np.uint16 if storage.itemsize == 2 else np.uint8)
    if width is None:
        if packed_bytes and storage.itemsize == 2:
            raw = raw.view("<u2").astype(np.uint16)
        if raw.size != count:
            raise ModelError(f"{what}: holds {raw.size} values, dims need {count}")
        return dtypes.wrap(raw, elem)
    need = -(-count * width // 8)
    if len(raw) != need:
        raise ModelError(f"{what}: holds {len(raw)} packed bytes, {count} values of "
                         f"{dtypes.NAMES[elem]} need {need}")
    signed = elem in (dtypes.INT4, dtypes.INT2)
    return dtypes.wrap(lowp.unpack_subbyte(raw, count, width, signed), elem)


def _from_typed_fields(t, dtype, count, what):
    elem = t.data_type
    if elem in (dtypes.FLOAT, dtypes.COMPLEX64):
        raw = _joined(t.float_data)
        have, unit = len(raw) // 4, "<f4"
    elif elem in (dtypes.DOUBLE, dtypes.COMPLEX128):
        raw = _joined(t.double_data)
        have, unit = len(raw) // 8, "<f8"
    else:
        raw = None
        chunks = t.int64_data if elem == dtypes.INT64 else (
            t.uint64_data if elem in (dtypes.UINT32, dtypes.UINT64) else t.int32_data)
        have = sum(c.size if isinstance(c, np.ndarray) else 1 for c in chunks)
    per = 2 if elem in (dtypes.COMPLEX64, dtypes.COMPLEX128) else 1
    if have != count * per:
        raise ModelError(f"{what}: holds {have} values, dims {list(t.dims)} need {count * per}")
    if raw is not None:
        parts = np.frombuffer(raw, dtype=unit)
        return parts.astype(unit[1:]).view(dtype) if per == 2 else parts.astype(dtype)
    if elem == dtypes.FLOAT16:  # stored as the 16-bit patterns in int32_data
        return int_values(chunks, np.uint16).view(np.float16)
    if elem == dtypes.BOOL:
        return int_values(chunks) != 0
    return int_values(chunks, dtype)


def sparse_to_array(sp, what="sparse tensor", external=None, budget=None):
    """SparseTensorProto → dense numpy array (values scattered at indices,
    given either as [NNZ] linear indices or [NNZ, rank] coordinates)."""
    if not sp.has("values") or not sp.has("indices"):
        raise ModelError(f"{what}: a sparse tensor needs values and indices")
    dims = list(sp.dims)
    count = _count(dims, what)
    values = to_array(sp.values, what, external)
    indices = to_array(sp.indices, what, external)
    if values.ndim != 1 or indices.dtype.kind not in "iu" or indices.ndim not in (1, 2):
        raise ModelError(f"{what}: values must be 1-D and indices 1-D or 2-D integers, got shapes "
                         f"{list(values.shape)} and {list(indices.shape)} ({indices.dtype})")
    nnz = values.shape[0]
    if indices.shape[0] != nnz or (indices.ndim == 2 and indices.shape[1] != len(dims)):
        raise ModelError(f"{what}: indices of shape {list(indices.shape)} do not fit {nnz} values "
                         f"of a rank-{len(dims)} tensor")
    indices = indices.astype(np.int64)
    bounds = np.array(dims if indices.ndim == 2 else [count], dtype=np.int64)
    if indices.size and ((indices < 0).any() or (indices.reshape(nnz, -1) >= bounds).any()):
        raise ModelError(f"{what}: an index lies outside the dims {dims}")
    limits.check_tensor(count * values.dtype.itemsize, what)
    if budget is not None:
        budget.add(count * values.dtype.itemsize, what)
    dense = np.zeros(dims, dtype=values.dtype)
    if indices.ndim == 2:
        dense[tuple(indices.T)] = values
    else:
        dense.reshape(-1)[indices] = values
    return dense


# ---- external data ------------------------------------------------------------

_DRIVE = re.compile(r"^[A-Za-z]:")


class ExternalData:
    """Reads external-data tensors for a model loaded from `model_dir`.

    Only regular files inside model_dir, named by a relative location without
    '..' components, whose real path (symlinks resolved) is still inside
    model_dir; the tensor's extent (offset, length) must lie inside the file
    and length must equal dims × dtype."""

    def __init__(self, model_dir):
        self.base = os.path.realpath(model_dir)

    def path(self, location, what):
        if not isinstance(location, str) or not location:
            raise ModelError(f"{what}: external data has no location")
        if "\0" in location or os.path.isabs(location) or location.startswith(("/", "\\")) \
                or _DRIVE.match(location):
            raise ModelError(f"{what}: external data location {location!r} must be a relative path "
                             "inside the model's directory")
        parts = [p for p in re.split(r"[\\/]", location) if p not in ("", ".")]
        if ".." in parts or not parts:
            raise ModelError(f"{what}: external data location {location!r} may not leave the model's "
                             "directory ('..')")
        path = os.path.realpath(os.path.join(self.base, *parts))
        if os.path.commonpath([path, self.base]) != self.base:
            raise ModelError(f"{what}: external data location {location!r} resolves to a file outside "
                             "the model's directory (a symbolic link?)")
        return path

    def read(self, t, nbytes, what):
        entries = {e.key: e.value for e in t.external_data}
        location = entries.get("location", "")
        path = self.path(location, what)
        offset = _extent_int(entries, "offset", 0, what)
        length = _extent_int(entries, "length", None, what)
        try:
            st = os.stat(path)
        except OSError as e:
            raise ModelError(f"{what}: cannot open external data file {location!r}: {e.strerror}") from None
        if not stat.S_ISREG(st.st_mode):
            raise ModelError(f"{what}: external data {location!r} is not a regular file")
        size = st.st_size
        if length is None:
            length = size - offset
        if offset > size or offset + length > size:
            raise ModelError(f"{what}: external data extent (offset {offset}, length {length}) runs past "
                             f"the end of {location!r} ({size} bytes)")
        if length != nbytes:
            raise ModelError(f"{what}: external data length {length} bytes, but dims {list(t.dims)} of "
                             f"{dtypes.NAMES.get(t.data_type, t.data_type)} need {nbytes}")
        try:
            with open(path, "rb") as f:
                f.seek(offset)
                data = f.read(length)
        except OSError as e:
            raise ModelError(f"{what}: cannot read external data file {location!r}: {e.strerror}") from None
        if len(data) != length:
            raise ModelError(f"{what}: external data file {location!r} ended after {len(data)} of {length} bytes")
        return data


def _extent_int(entries, key, default, what):
    text = entries.get(key)
    if text is None or text == "":
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 20:
        raise ModelError(f"{what}: external data {key} {text!r} is not a non-negative integer")
    return int(text)
