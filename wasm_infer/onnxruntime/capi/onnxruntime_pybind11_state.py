"""onnxruntime.capi.onnxruntime_pybind11_state: the exception classes of
onnxruntime's C++ layer, for code that catches them by name.

As in onnxruntime each class derives from Exception only. What
wasm_infer.onnxruntime raises is an instance of a subclass that also derives
from the wasm_infer error it came from (see `translate`), so both
`except onnxruntime.capi.onnxruntime_pybind11_state.InvalidArgument` and
`except wasm_infer.errors.WasmInferError` catch it."""
from ... import errors as _errors


class Fail(Exception):
    pass


class InvalidArgument(Exception):
    pass


class NoSuchFile(Exception):
    pass


class NoModel(Exception):
    pass


class EngineError(Exception):
    pass


class RuntimeException(Exception):
    pass


class InvalidProtobuf(Exception):
    pass


class ModelLoaded(Exception):
    pass


class NotImplemented(Exception):  # noqa: A001 (onnxruntime's name)
    pass


class InvalidGraph(Exception):
    pass


class EPFail(Exception):
    pass


class NotFound(Exception):
    pass


class ModelLoadCanceled(Exception):
    pass


class ModelRequiresCompilation(Exception):
    pass


class DeviceReset(Exception):
    pass


# onnxruntime's status codes, which its messages start with
_CODES = {Fail: (1, "FAIL"), InvalidArgument: (2, "INVALID_ARGUMENT"), NoSuchFile: (3, "NO_SUCHFILE"),
          NoModel: (4, "NO_MODEL"), EngineError: (5, "ENGINE_ERROR"), RuntimeException: (6, "RUNTIME_EXCEPTION"),
          InvalidProtobuf: (7, "INVALID_PROTOBUF"), ModelLoaded: (8, "MODEL_LOADED"),
          NotImplemented: (9, "NOT_IMPLEMENTED"), InvalidGraph: (10, "INVALID_GRAPH"), EPFail: (11, "EP_FAIL")}
_combined = {}


def error_class(ort_class, ours=_errors.WasmInferError, also=()):
    """The class deriving from onnxruntime's `ort_class`, the onnxruntime
    classes `also` and our `ours` (cached, named as onnxruntime names
    `ort_class`). `also`: where onnxruntime raises different classes for
    what is one failure here, all of them, so that code catching any one
    of them catches it."""
    key = (ort_class, ours, also)
    if key not in _combined:
        _combined[key] = type(ort_class.__name__, (ort_class, *also, ours),
                              {"__module__": __name__, "__qualname__": ort_class.__name__})
    return _combined[key]


def make(ort_class, message, ours=_errors.WasmInferError, also=()):
    """An exception of error_class(ort_class, ours, also) with onnxruntime's message prefix."""
    code, name = _CODES.get(ort_class, (1, "FAIL"))
    return error_class(ort_class, ours, also)(f"[ONNXRuntimeError] : {code} : {name} : {message}")


def translate(error, loading=False):
    """The onnxruntime-flavoured exception for one of ours (a WasmInferError):
    ModelError -> InvalidGraph while loading, also an InvalidArgument (what
    onnxruntime raises for a dangling input; InvalidProtobuf is decided by
    the caller, which knows whether the bytes parsed), Fail while running (a node
    that fails: onnxruntime reports a kernel's failure as FAIL, "Non-zero
    status code returned while running ..."); InputError -> InvalidArgument;
    UnsupportedError -> NotImplemented, while loading also a Fail (what
    onnxruntime raises for an unregistered op or too new an opset);
    ResourceError -> RuntimeException; a deadline or anything else -> Fail."""
    kind, also = type(error), ()
    if isinstance(error, _errors.InputError):
        target = InvalidArgument
    elif isinstance(error, _errors.UnsupportedError):
        target, also = NotImplemented, ((Fail,) if loading else ())
    elif isinstance(error, _errors.ResourceError):
        target = RuntimeException
    elif isinstance(error, _errors.ModelError):
        target, also = (InvalidGraph, (InvalidArgument,)) if loading else (Fail, ())
    else:
        target = Fail
    return make(target, str(error), kind, also)


# The module-level functions and option classes onnxruntime's C++ module also
# has, for code that imports them from here or from capi._pybind_state
# (`from onnxruntime.capi._pybind_state import get_available_providers`):
# the package's own, looked up at first use (the package imports this module).
REEXPORTED = ("get_available_providers", "get_all_providers", "get_device", "get_version_string",
              "get_build_info", "set_default_logger_severity", "set_default_logger_verbosity", "set_seed",
              "disable_telemetry_events", "enable_telemetry_events", "SessionOptions", "RunOptions", "OrtValue",
              "GraphOptimizationLevel", "ExecutionMode", "ExecutionOrder", "ModelMetadata", "NodeArg",
              "SessionIOBinding")


def __getattr__(name):
    if name in REEXPORTED:
        from ... import onnxruntime as package
        return getattr(package, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
