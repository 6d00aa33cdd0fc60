"""ONNX element types and their NumPy counterparts.

Representation of the types NumPy lacks (Pyodide has no ml_dtypes):
bfloat16, float8e4m3fn/e4m3fnuz/e5m2/e5m2fnuz, float8e8m0, float4e2m1,
int4/uint4 and int2/uint2 are numpy arrays with a **one-field structured
dtype** whose field name is the ONNX type name and whose field holds the raw
value, one element per array element:

    bfloat16            np.dtype([("bfloat16", "<u2")])     the 16-bit pattern
    float8*, float4e2m1 np.dtype([("float8e4m3fn", "u1")])  the bit pattern (float4: low 4 bits)
    int4/int2           np.dtype([("int4", "i1")])          the value, -8..7 / -2..1
    uint4/uint2         np.dtype([("uint4", "u1")])         the value, 0..15 / 0..3

Why a structured dtype: it travels unchanged through every data-movement
operation (reshape, transpose, take, concatenate, where, pad, pickle), so
shape/indexing ops work on these tensors without knowing about them, while
arithmetic on them raises instead of silently computing on bit patterns.
Ops that compute convert explicitly with `to_float32` / `cast`. The ONNX
type of any array is `onnx_type(arr.dtype)`; `bits(arr)` is a plain view of
the stored field; `from_ml_dtypes` accepts arrays from ml_dtypes (what the
onnx package produces on the host), byte-for-byte.

At the API boundary: feeds may be ml_dtypes arrays (converted on the way
in), and natively, where ml_dtypes is importable, `InferenceSession.run`
returns exotic outputs as ml_dtypes arrays (`to_ml_dtypes`), as onnx.reference
does and NumPy users expect. In Pyodide, which has no ml_dtypes, outputs keep
the representation above.
"""
import sys

import numpy as np

from . import lowp
from .lowp import contiguous as _contiguous
from .errors import ModelError, UnsupportedError

# TensorProto.DataType numbers (onnx.proto).
FLOAT, UINT8, INT8, UINT16, INT16, INT32, INT64, STRING, BOOL, FLOAT16, DOUBLE, UINT32, UINT64, \
    COMPLEX64, COMPLEX128, BFLOAT16, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ, \
    UINT4, INT4, FLOAT4E2M1, FLOAT8E8M0, UINT2, INT2 = range(1, 27)

NAMES = {FLOAT: "float", UINT8: "uint8", INT8: "int8", UINT16: "uint16", INT16: "int16",
         INT32: "int32", INT64: "int64", STRING: "string", BOOL: "bool", FLOAT16: "float16",
         DOUBLE: "double", UINT32: "uint32", UINT64: "uint64", COMPLEX64: "complex64",
         COMPLEX128: "complex128", BFLOAT16: "bfloat16", FLOAT8E4M3FN: "float8e4m3fn",
         FLOAT8E4M3FNUZ: "float8e4m3fnuz", FLOAT8E5M2: "float8e5m2", FLOAT8E5M2FNUZ: "float8e5m2fnuz",
         UINT4: "uint4", INT4: "int4", FLOAT4E2M1: "float4e2m1", FLOAT8E8M0: "float8e8m0",
         UINT2: "uint2", INT2: "int2"}

_STORAGE = {BFLOAT16: "<u2", FLOAT8E4M3FN: "u1", FLOAT8E4M3FNUZ: "u1", FLOAT8E5M2: "u1",
            FLOAT8E5M2FNUZ: "u1", FLOAT4E2M1: "u1", FLOAT8E8M0: "u1",
            UINT4: "u1", INT4: "i1", UINT2: "u1", INT2: "i1"}
EXOTIC = {t: np.dtype([(NAMES[t], s)]) for t, s in _STORAGE.items()}
_EXOTIC_BY_NAME = {NAMES[t]: t for t in EXOTIC}
SUBBYTE_BITS = {UINT4: 4, INT4: 4, FLOAT4E2M1: 4, UINT2: 2, INT2: 2}  # packed widths in TensorProto

NUMPY_OF = {
    FLOAT: np.dtype(np.float32), UINT8: np.dtype(np.uint8), INT8: np.dtype(np.int8),
    UINT16: np.dtype(np.uint16), INT16: np.dtype(np.int16), INT32: np.dtype(np.int32),
    INT64: np.dtype(np.int64), STRING: np.dtype(object), BOOL: np.dtype(np.bool_),
    FLOAT16: np.dtype(np.float16), DOUBLE: np.dtype(np.float64), UINT32: np.dtype(np.uint32),
    UINT64: np.dtype(np.uint64), COMPLEX64: np.dtype(np.complex64), COMPLEX128: np.dtype(np.complex128),
    **EXOTIC,
}
ONNX_OF = {v: k for k, v in NUMPY_OF.items()}

# ml_dtypes' names for our exotic types (host side interop, no import needed)
_ML_NAMES = {"bfloat16": BFLOAT16, "float8_e4m3fn": FLOAT8E4M3FN, "float8_e4m3fnuz": FLOAT8E4M3FNUZ,
             "float8_e5m2": FLOAT8E5M2, "float8_e5m2fnuz": FLOAT8E5M2FNUZ, "uint4": UINT4, "int4": INT4,
             "float4_e2m1fn": FLOAT4E2M1, "float8_e8m0fnu": FLOAT8E8M0, "uint2": UINT2, "int2": INT2}
_FLOAT_FORMAT = {FLOAT8E4M3FN: "float8e4m3fn", FLOAT8E4M3FNUZ: "float8e4m3fnuz", FLOAT8E5M2: "float8e5m2",
                 FLOAT8E5M2FNUZ: "float8e5m2fnuz", FLOAT4E2M1: "float4e2m1"}
_INT_SUBBYTE = {INT4: "int4", UINT4: "uint4", INT2: "int2", UINT2: "uint2"}


def to_numpy(elem_type, what="tensor"):
    """NumPy dtype for an ONNX element type number."""
    try:
        return NUMPY_OF[elem_type]
    except KeyError:
        if elem_type in NAMES:
            raise UnsupportedError(f"{what}: element type {NAMES[elem_type]} is not supported yet") from None
        raise ModelError(f"{what}: unknown ONNX element type {elem_type}") from None


def type_string(elem_type):
    """onnxruntime-style type string, e.g. 'tensor(float)'."""
    return f"tensor({NAMES.get(elem_type, str(elem_type))})"


def onnx_type(dtype):
    """ONNX element type number of a numpy dtype (ours included), or None."""
    dtype = np.dtype(dtype)
    t = ONNX_OF.get(dtype)
    if t is None and dtype.kind in "US":
        return STRING
    return t


def is_exotic(dtype):
    return np.dtype(dtype).names is not None and np.dtype(dtype).names[0] in _EXOTIC_BY_NAME


def bits(x):
    """The stored field of an exotic array as a plain integer array (a view)."""
    return x.view(x.dtype[0]) if is_exotic(x.dtype) else x


def wrap(raw, elem_type):
    """Plain integer array of bit patterns / values -> exotic array of `elem_type`."""
    dtype = EXOTIC[elem_type]
    return _contiguous(np.asarray(raw).astype(dtype[0])).view(dtype)


def to_float32(x):
    """Values of any numeric array as float32 (exotic types decoded)."""
    t = onnx_type(x.dtype)
    if t == BFLOAT16:
        return lowp.bfloat16_decode(bits(x))
    if t in _FLOAT_FORMAT:
        return lowp.FORMATS[_FLOAT_FORMAT[t]].decode(bits(x))
    if t == FLOAT8E8M0:
        return lowp.e8m0_decode(bits(x))
    if t in _INT_SUBBYTE:
        return bits(x).astype(np.float32)
    return np.asarray(x).astype(np.float32)


def to_standard(x):
    """An exotic array as the nearest NumPy type that holds its values
    exactly (float32 for the floats, int8/uint8 for sub-byte ints); other
    arrays unchanged. For ops that compute on any dtype."""
    t = onnx_type(x.dtype)
    if t in _INT_SUBBYTE:
        return bits(x).copy()
    return to_float32(x) if is_exotic(x.dtype) else x


def cast(x, to, saturate=True, round_mode="up"):
    """ONNX Cast semantics from any supported dtype to element type `to`."""
    x = np.asarray(x)
    src = onnx_type(x.dtype)
    if to == STRING:
        return _to_strings(to_standard(x))
    if src == STRING:
        x = _from_strings(x)
    elif is_exotic(x.dtype):
        if src in _INT_SUBBYTE and to not in _FLOAT_FORMAT and to not in (BFLOAT16, FLOAT8E8M0):
            x = bits(x).astype(np.int64)     # integer to integer: keep exact
        else:
            x = to_float32(x)
    if to == BFLOAT16:
        return wrap(lowp.bfloat16_encode(x), to)
    if to in _FLOAT_FORMAT:
        src_val = x.astype(np.float64) if x.dtype.kind != "f" else x
        return wrap(lowp.FORMATS[_FLOAT_FORMAT[to]].encode(src_val, saturate), to)
    if to == FLOAT8E8M0:
        return wrap(lowp.e8m0_encode(x, saturate, round_mode), to)
    if to in _INT_SUBBYTE:
        return wrap(lowp.int_encode(x, _INT_SUBBYTE[to]), to)
    dtype = to_numpy(to)
    if x.dtype.kind == "f" and dtype.kind in "iu":
        # C casts of NaN/Inf/out-of-range floats are undefined; NumPy warns. Keep them quiet.
        with np.errstate(invalid="ignore", over="ignore"):
            return x.astype(dtype)
    return x.astype(dtype)


def _to_strings(x):
    if x.dtype == object:
        return x.copy()
    # NumPy's str of each value: the shortest text that round-trips, as onnx.reference writes it
    return x.astype(np.str_).astype(object)


def _from_strings(x):
    flat = []
    for s in x.reshape(-1):
        s = s.decode() if isinstance(s, bytes) else str(s)
        flat.append(float(s.strip()))   # float() reads "NaN", "INF", "-inf", "1e5"
    return np.array(flat, dtype=np.float64).reshape(x.shape)


def from_ml_dtypes(x):
    """An ml_dtypes array (host side: onnx's test data uses them) as our representation; others unchanged."""
    t = _ML_NAMES.get(getattr(x.dtype, "name", "")) if isinstance(x, np.ndarray) else None
    if t is None or x.dtype.names is not None:
        return x
    raw = _contiguous(x).view(np.uint16 if t == BFLOAT16 else np.uint8)
    if t in SUBBYTE_BITS:
        # ml_dtypes may leave garbage in the unused high bits: keep the value's bits only
        width = SUBBYTE_BITS[t]
        raw = raw & np.uint8((1 << width) - 1)
        if t in (INT4, INT2):
            raw = ((raw.astype(np.int8) ^ (1 << (width - 1))) - (1 << (width - 1))).astype(np.int8)
    return _contiguous(raw).view(EXOTIC[t])


def ml_dtypes_name(elem_type):
    """ml_dtypes' name for an exotic ONNX type (to convert outputs back on the host)."""
    return next(k for k, v in _ML_NAMES.items() if v == elem_type)


_ML = []    # the ml_dtypes module, or None where it cannot be used; imported once, on first need


def _ml_dtypes():
    if not _ML:
        module = None
        if sys.platform != "emscripten":     # Pyodide keeps our representation (documented above)
            try:
                import ml_dtypes as module
            except ImportError:
                module = None
        _ML.append(module)
    return _ML[0]


def to_ml_dtypes(x):
    """An exotic array as the ml_dtypes array with the same values (natively,
    where ml_dtypes is importable and has the type); anything else unchanged."""
    if type(x) is not np.ndarray or x.dtype.names is None or not is_exotic(x.dtype):
        return x
    ml = _ml_dtypes()
    t = onnx_type(x.dtype)
    target = getattr(ml, ml_dtypes_name(t), None) if ml is not None else None
    if target is None:
        return x
    if t in _INT_SUBBYTE:
        return bits(x).astype(target)         # values: exact in range
    if t == FLOAT4E2M1:
        return to_float32(x).astype(target)   # every float4 value is exact in float32
    return bits(x).view(target)               # 8/16-bit patterns: the same bits, NaN payloads included


class TypedMap(dict):
    """A map fed to a model (a dict, as onnxruntime takes one), with the NumPy
    dtype of the values its input declares (`dtype`): ops that turn maps into
    tensors (DictVectorizer) make their output of that type."""

    def __init__(self, items, dtype):
        super().__init__(items)
        self.dtype = np.dtype(dtype)
