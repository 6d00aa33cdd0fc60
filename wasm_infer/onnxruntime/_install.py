"""Register wasm_infer.onnxruntime as `onnxruntime` in sys.modules."""
import importlib
import importlib.metadata
import os
import sys
import sysconfig
import warnings

SUBMODULES = ("capi", "capi.onnxruntime_pybind11_state", "capi._pybind_state",
              "capi.onnxruntime_inference_collection")


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
        sys.modules[f"onnxruntime.{name}"] = importlib.import_module(f"{ours.__name__}.{name}")
    if sys.platform == "emscripten":
        _register_distribution(ours.__version__)
    return ours


def _register_distribution(version):
    """In Pyodide, where no onnxruntime is installed: record an installed
    `onnxruntime` distribution (a dist-info folder in site-packages, in the
    page's in-memory file system), so that importlib.metadata.version("onnxruntime")
    answers and micropip installs a library that requires onnxruntime with its
    other dependencies instead of looking for an onnxruntime wheel, which has
    none for WebAssembly. Natively an installed onnxruntime is never touched."""
    try:
        importlib.metadata.distribution("onnxruntime")
        return
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        info = os.path.join(sysconfig.get_paths()["purelib"], f"onnxruntime-{version}.dist-info")
        os.makedirs(info, exist_ok=True)
        files = {"METADATA": f"Metadata-Version: 2.1\nName: onnxruntime\nVersion: {version}\nSummary: onnxruntime's "
                             "Python API on wasm_infer (wasm_infer.onnxruntime, see install_as_onnxruntime)\n",
                 "INSTALLER": "wasm_infer\n",
                 "PYODIDE_SOURCE": "wasm_infer.install_as_onnxruntime"}    # micropip.list() shows what has one
        files["RECORD"] = "".join(f"onnxruntime-{version}.dist-info/{n},,\n" for n in (*files, "RECORD"))
        for name, text in files.items():
            with open(os.path.join(info, name), "w") as f:
                f.write(text)
        importlib.invalidate_caches()
    except OSError as e:    # a read-only site-packages: `import onnxruntime` works all the same
        warnings.warn(f"install_as_onnxruntime: could not record onnxruntime as installed ({e}); micropip "
                      "will look for an onnxruntime wheel for libraries that require it", RuntimeWarning, stacklevel=3)
