"""onnxruntime.capi.onnxruntime_inference_collection: where onnxruntime
defines its Python classes, for code that imports them from there."""
from .._session import InferenceSession, InferenceSession as Session  # noqa: F401
from .._values import IOBinding, OrtValue  # noqa: F401
from .._metadata import ModelMetadata, NodeArg  # noqa: F401
