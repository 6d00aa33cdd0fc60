"""Feeds checked against the inputs a model declares (InferenceSession.run):
names, element types and shapes, each mismatch an InputError saying how to
fix it; the few conversions onnxruntime also makes are made here."""
import numpy as np

from . import dtypes
from .errors import InputError


def check_feeds(feeds, expected, defaults, inputs):
    """Check `feeds` (a dict, completed in place with the `defaults` of
    overridable initializers, and with converted arrays) against `expected`
    (input name -> ir.ValueInfo); `inputs`: the NodeArgs a caller must feed."""
    if not isinstance(feeds, dict):
        raise InputError(f"feeds must be a dict of input name -> numpy array, got {type(feeds).__name__}")
    unknown = [n for n in feeds if n not in expected]
    if unknown:
        raise InputError(f"unknown input name {unknown[0]!r}; the model's inputs are {[a.name for a in inputs]}")
    missing = [n for n in expected if n not in feeds and n not in defaults]
    if missing:
        raise InputError(f"missing input {missing[0]!r}; the model's inputs are {[a.name for a in inputs]}")
    for name, value in defaults.items():
        feeds.setdefault(name, value)
    for name, value in list(feeds.items()):
        info = expected[name]
        if info.kind in ("sequence", "optional", "unknown") and (value is None or isinstance(value, list)):
            continue
        if info.kind == "map":
            feeds[name] = _map_feed(name, value, info)
            continue
        if not isinstance(value, np.ndarray):
            raise InputError(f"input {name!r} must be a numpy array, got {type(value).__name__}")
        if type(value) is not np.ndarray:
            # a subclass (np.matrix, a masked array, a memmap) as its plain array, as onnxruntime
            # reads it: its data, no mask; its own operators (a matrix's * multiplies matrices)
            # must not reach the ops, nor its type the results
            value = feeds[name] = value.view(np.ndarray)
        if info.kind != "tensor" or not info.elem_type:
            continue
        want = dtypes.NUMPY_OF.get(info.elem_type)
        if value.dtype != want and value.dtype.names is None:
            converted = dtypes.from_ml_dtypes(value)   # an ml_dtypes array: our representation
            if converted is not value:                 # (only looked at when the dtype differs: it is slow)
                value = feeds[name] = converted
        if want is not None and value.dtype != want and want.kind == "O" and value.dtype.kind == "U":
            value = feeds[name] = value.astype(object)      # np.array(["a", "bc"]): as onnxruntime takes it
        if want is not None and value.dtype != want:
            raise InputError(f"input {name!r} has dtype {value.dtype}, the model expects {info.type_string} "
                             f"(numpy {want}); convert it with "
                             f"{'.astype(object)' if want.kind == 'O' else f'.astype(np.{want})'}")
        if info.shape is not None and len(info.shape) == 0 and value.size == 1:
            continue    # a declared scalar fed as [x] or [[x]]: as onnxruntime, which passes it as it is
        if info.shape is not None:
            if value.ndim != len(info.shape):
                raise InputError(f"input {name!r} has shape {list(value.shape)} (rank {value.ndim}), "
                                 f"the model expects rank {len(info.shape)}: {list(info.shape)}")
            for axis, (got, dim) in enumerate(zip(value.shape, info.shape)):
                if isinstance(dim, int) and dim > 0 and got != dim:
                    raise InputError(f"input {name!r} has shape {list(value.shape)}, the model expects "
                                     f"{list(info.shape)} (axis {axis} must be {dim})")


def _map_feed(name, value, info):
    """A dict fed to a map input, as onnxruntime takes one: its keys checked
    against the declared key type (str for string keys, int for int64), its
    values converted to the declared value type, as a dtypes.TypedMap."""
    declared = info.type_name or "map"
    if not isinstance(value, dict):
        raise InputError(f"input {name!r} is a {declared}: feed a dict, got {type(value).__name__}")
    key_elem, value_elem = info.map_types or (0, 0)
    key_type = {dtypes.STRING: str, dtypes.INT64: int}.get(key_elem)
    if key_type is not None:
        for k in value:
            if not isinstance(k, key_type) or isinstance(k, bool):
                raise InputError(f"input {name!r} is a {declared}: key {k!r} is a {type(k).__name__}, "
                                 f"not a {dtypes.NAMES[key_elem]}")
    dtype = dtypes.NUMPY_OF.get(value_elem, np.dtype(np.float32))
    try:
        values = np.array(list(value.values()), dtype=dtype)
    except (TypeError, ValueError) as e:
        raise InputError(f"input {name!r} is a {declared}: its values do not convert to {dtype}: {e}") from None
    return dtypes.TypedMap(zip(value, values.tolist()), dtype)
