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


class DeadlineError(WasmInferError):
    """A run took longer than its `timeout` (InferenceSession.run); the
    message names the node it had reached. Checked between steps and Loop/Scan
    iterations: one long kernel call is not interrupted."""


class PlanError(WasmInferError):
    """Only with WASM_INFER_PLAN=strict: the memory plan for an input-shape
    signature could not be built (without strict, the run falls back to the
    unplanned path and warns with PlanWarning)."""


class PlanWarning(UserWarning):
    """A session runs an input-shape signature without its memory plan because
    building the plan failed: correct results, slower runs. Once per session;
    `InferenceSession.plan_info()` lists the unplanned signatures and why."""


def out_of_memory(error):
    """Is `error` NumPy failing to allocate? MemoryError natively; inside
    Pyodide (32-bit) a too-large array is a ValueError ("array is too big",
    "maximum allowed dimension exceeded", "broadcast dimensions too large",
    "iterator is too large") before malloc is even tried."""
    if isinstance(error, MemoryError):
        return True
    if type(error) is ValueError:
        text = str(error).lower()
        return any(m in text for m in _TOO_BIG)
    return False


_TOO_BIG = ("array is too big", "allowed dimension exceeded", "dimensions too large", "iterator is too large")


def reraise_unexpected(what):
    """Decorator for entry points: an exception that is not a WasmInferError,
    raised somewhere below the decorated function (a corrupt model tripping
    an op's constructor, a pass or a NumPy call), becomes a ModelError naming
    `what` and the original type and message; running out of memory
    (MemoryError, or Pyodide's "array is too big": out_of_memory) becomes
    ResourceError. Exceptions raised by the decorated function's own body
    (argument checks such as a bad `backend=`) pass unchanged, and so do
    KeyboardInterrupt and SystemExit."""
    import functools

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except WasmInferError:
                raise
            except RecursionError:
                raise ModelError(f"{what}: the model is nested too deeply") from None
            except Exception as e:
                if out_of_memory(e):
                    raise ResourceError(f"{what}: out of memory ({type(e).__name__}: {e})") from None
                tb = e.__traceback__
                if tb is None or tb.tb_next is None or tb.tb_next.tb_next is None:
                    raise      # raised by fn itself: an argument error of the caller's
                raise ModelError(f"{what}: {type(e).__name__}: {e}") from e
        return wrapper
    return decorate
