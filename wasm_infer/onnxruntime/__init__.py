"""onnxruntime's Python API on wasm_infer, for code that does `import onnxruntime`.

    import wasm_infer
    wasm_infer.install_as_onnxruntime()       # or: import wasm_infer.auto_onnxruntime
    import onnxruntime as ort                 # this module
    sess = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
    (y,) = sess.run(None, {"x": x})

The surface mirrors onnxruntime 1.32's Python API (`__version__` says which
API, `wasm_infer_version` which wasm_infer runs it); README.md's section on the
onnxruntime drop-in lists what applies and what is only accepted."""
import warnings as _warnings

from .. import __version__ as wasm_infer_version
from . import capi  # noqa: F401
from ._metadata import ModelMetadata, NodeArg
from ._options import ExecutionMode, ExecutionOrder, GraphOptimizationLevel, OrtCompatWarning, RunOptions, SessionOptions
from ._session import PROVIDERS as _PROVIDERS, InferenceSession
from ._values import IOBinding, OrtValue

__version__ = "1.32.0"          # the onnxruntime API mirrored here
version = __version__
package_name = "wasm_infer.onnxruntime"
SessionIOBinding = IOBinding

_ALL_PROVIDERS = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "MIGraphXExecutionProvider",
                  "OpenVINOExecutionProvider", "DnnlExecutionProvider", "VitisAIExecutionProvider",
                  "QNNExecutionProvider", "NnapiExecutionProvider", "VSINPUExecutionProvider", "JsExecutionProvider",
                  "CoreMLExecutionProvider", "DmlExecutionProvider", "RknpuExecutionProvider",
                  "WebNNExecutionProvider", "WebGpuExecutionProvider", "XnnpackExecutionProvider",
                  "CANNExecutionProvider", "AzureExecutionProvider", "CPUExecutionProvider"]
_severity = 2


def get_available_providers():
    return list(_PROVIDERS)


def get_all_providers():
    """The provider names onnxruntime knows (only CPUExecutionProvider is available here)."""
    return list(_ALL_PROVIDERS)


def get_device():
    return "CPU"


def get_version_string():
    return __version__


def get_build_info():
    return f"wasm_infer {wasm_infer_version} (onnxruntime {__version__} API)"


def set_default_logger_severity(severity):
    """Accepted (0 verbose .. 4 fatal); wasm_infer writes no log lines, so every level is honoured.
    As in onnxruntime: another type is a TypeError, another int a RuntimeError."""
    global _severity
    _check_int("set_default_logger_severity", severity)
    if not 0 <= severity <= 4:
        raise RuntimeError(f"Invalid logging severity {severity!r}: it must be 0 (verbose) to 4 (fatal)")
    _severity = severity


def set_default_logger_verbosity(verbosity):
    """Accepted; wasm_infer writes no log lines."""
    _check_int("set_default_logger_verbosity", verbosity)


def _check_int(what, value):
    if not isinstance(value, int):
        raise TypeError(f"{what}(): incompatible function arguments: expected an int, got {type(value).__name__}")


def set_seed(seed):
    """Seeds numpy's global generator, which wasm_infer's random ops fall back to without a `seed` attribute."""
    import numpy
    numpy.random.seed(int(seed))


def disable_telemetry_events():
    """Accepted: wasm_infer sends no telemetry."""


def enable_telemetry_events():
    """Accepted: wasm_infer sends no telemetry."""


def preload_dlls(*args, **kwargs):
    """Accepted: there are no DLLs to load."""


def register_execution_provider_library(registration_name, path):
    raise capi.onnxruntime_pybind11_state.make(
        capi.onnxruntime_pybind11_state.NotImplemented,
        f"execution provider libraries ({registration_name!r}) are native code; wasm_infer.onnxruntime runs on the CPU")


def get_ep_devices():
    return []


def _warn_unused(name):
    _warnings.warn(f"onnxruntime.{name} has no effect in wasm_infer.onnxruntime", OrtCompatWarning, stacklevel=3)


def set_global_thread_pool_sizes(*args, **kwargs):
    _warn_unused("set_global_thread_pool_sizes (wasm_infer runs single-threaded)")


__all__ = ["InferenceSession", "SessionOptions", "RunOptions", "GraphOptimizationLevel", "ExecutionMode",
           "ExecutionOrder", "NodeArg", "ModelMetadata", "OrtValue", "IOBinding", "SessionIOBinding",
           "OrtCompatWarning", "get_available_providers", "get_all_providers", "get_device",
           "set_default_logger_severity", "set_default_logger_verbosity", "set_seed", "disable_telemetry_events",
           "enable_telemetry_events", "get_version_string", "get_build_info", "capi", "__version__"]
