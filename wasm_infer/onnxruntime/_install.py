"""Register wasm_infer.onnxruntime as `onnxruntime` in sys.modules."""
import sys
import warnings

SUBMODULES = ("capi", "capi.onnxruntime_pybind11_state", "capi._pybind_state")


def install(replace=False):
    """Make `import onnxruntime` (and its capi submodules) give wasm_infer.onnxruntime.

    An onnxruntime that is already imported is left in place unless `replace`
    is true (code holding it would mix two runtimes); a warning says so.
    Returns the module that `import onnxruntime` now gives."""
    from .. import onnxruntime as ours
    current = sys.modules.get("onnxruntime")
    if current is ours:
        return ours
    if current is not None and not replace:
        warnings.warn("onnxruntime is already imported: install_as_onnxruntime() left it in place "
                      "(pass replace=True to replace it)", RuntimeWarning, stacklevel=3)
        return current
    sys.modules["onnxruntime"] = ours
    for name in SUBMODULES:
        sys.modules[f"onnxruntime.{name}"] = sys.modules[f"{ours.__name__}.{name}"]
    return ours
