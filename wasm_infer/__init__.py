"""wasm_infer: run ONNX models from Python, in CPython and in Pyodide.

    import wasm_infer
    sess = wasm_infer.InferenceSession("model.onnx")
    print(sess.get_inputs())
    (logits,) = sess.run(None, {"input": x})
"""
from .errors import (DeadlineError, InputError, ModelError, PlanError, PlanWarning, ResourceError,
                     UnsupportedError, WasmInferError)
from .session import InferenceSession, NodeArg

__version__ = "0.1.0"
__all__ = ["InferenceSession", "NodeArg", "WasmInferError", "ModelError", "UnsupportedError",
           "InputError", "ResourceError", "DeadlineError", "PlanError", "PlanWarning", "runtime_info",
           "evaluate", "compare", "install_as_onnxruntime"]


def __getattr__(name):
    """evaluate, compare (and the evaluation package) are imported at first
    use: its eight modules would otherwise be compiled at every page load in
    Pyodide by sessions that never evaluate."""
    if name in ("evaluate", "compare", "evaluation"):
        import importlib
        evaluation = importlib.import_module(".evaluation", __name__)
        return evaluation if name == "evaluation" else getattr(evaluation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *__all__})


def install_as_onnxruntime(replace=False):
    """Register wasm_infer.onnxruntime (onnxruntime's Python API on wasm_infer)
    as `onnxruntime` and its capi submodules in sys.modules, so unchanged code
    that does `import onnxruntime` runs on wasm_infer. Returns that module."""
    from .onnxruntime._install import install
    return install(replace)


def runtime_info():
    """Where we run, which compute backend a new session would use, and its
    memory-plan mode ("plan": WASM_INFER_PLAN as plan.mode reads it; a
    session's plan_info() says how each of its input signatures runs)."""
    import platform
    import sys

    import numpy

    from . import kernels, plan
    try:
        plan_mode = plan.mode()
    except ValueError as e:
        plan_mode = f"invalid: {e}"
    return {"wasm_infer": __version__, "python": platform.python_version(),
            "platform": "pyodide" if sys.platform == "emscripten" else sys.platform,
            "numpy": numpy.__version__, "kernels": kernels.flavour(),
            "kernels_reason": kernels.reason(), "plan": plan_mode}
