"""The exceptions wasm_infer raises. Catch `WasmInferError` to catch them all."""


class WasmInferError(Exception):
    """Base class of every error wasm_infer raises on purpose."""


class ModelError(WasmInferError):
    """The model cannot be parsed or its graph is invalid."""


class UnsupportedError(WasmInferError):
    """The model uses an op, opset, IR version or dtype this runtime does not implement."""


class InputError(WasmInferError):
    """A feed passed to `run` is missing, unknown, or has the wrong dtype, rank or shape."""


class ResourceError(WasmInferError):
    """The model or its working memory does not fit in this runtime's memory."""
