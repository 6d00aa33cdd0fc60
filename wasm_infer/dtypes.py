"""ONNX element types and their NumPy counterparts."""
import numpy as np

from .errors import ModelError, UnsupportedError

# TensorProto.DataType numbers (onnx.proto) for the types NumPy has natively.
FLOAT, UINT8, INT8, UINT16, INT16, INT32, INT64, STRING, BOOL, FLOAT16, DOUBLE, UINT32, UINT64, \
    COMPLEX64, COMPLEX128 = range(1, 16)

NUMPY_OF = {
    FLOAT: np.dtype(np.float32), UINT8: np.dtype(np.uint8), INT8: np.dtype(np.int8),
    UINT16: np.dtype(np.uint16), INT16: np.dtype(np.int16), INT32: np.dtype(np.int32),
    INT64: np.dtype(np.int64), STRING: np.dtype(object), BOOL: np.dtype(np.bool_),
    FLOAT16: np.dtype(np.float16), DOUBLE: np.dtype(np.float64), UINT32: np.dtype(np.uint32),
    UINT64: np.dtype(np.uint64), COMPLEX64: np.dtype(np.complex64), COMPLEX128: np.dtype(np.complex128),
}
ONNX_OF = {v: k for k, v in NUMPY_OF.items()}
NAMES = {FLOAT: "float", UINT8: "uint8", INT8: "int8", UINT16: "uint16", INT16: "int16",
         INT32: "int32", INT64: "int64", STRING: "string", BOOL: "bool", FLOAT16: "float16",
         DOUBLE: "double", UINT32: "uint32", UINT64: "uint64", COMPLEX64: "complex64",
         COMPLEX128: "complex128", 16: "bfloat16", 17: "float8e4m3fn", 18: "float8e4m3fnuz",
         19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4", 23: "float4e2m1"}


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
