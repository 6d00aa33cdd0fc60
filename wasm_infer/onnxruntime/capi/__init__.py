"""onnxruntime.capi: the submodules third-party code imports exception classes,
functions and classes from."""
from . import _pybind_state, onnxruntime_pybind11_state  # noqa: F401
