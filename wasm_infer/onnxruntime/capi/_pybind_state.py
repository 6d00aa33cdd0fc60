"""onnxruntime.capi._pybind_state: in onnxruntime a re-export of the C++
module; here the same names as onnxruntime_pybind11_state."""
from .onnxruntime_pybind11_state import *  # noqa: F401,F403
from .onnxruntime_pybind11_state import (EngineError, EPFail, Fail, InvalidArgument, InvalidGraph,  # noqa: F401
                                         InvalidProtobuf, ModelLoaded, NoModel, NoSuchFile, NotImplemented,
                                         RuntimeException)
from .onnxruntime_pybind11_state import REEXPORTED, __getattr__  # noqa: F401 (the package's functions and classes)
