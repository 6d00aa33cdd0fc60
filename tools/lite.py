"""Build the JupyterLite site in build/site/lite/: Jupyter in the browser, on
our offline Pyodide, with wasm_infer preinstalled and the example notebooks.

    python3 build.py lite            (then `python3 build.py serve`, open /lite/)

PyPI's `jupyterlite-core` builds the site; `jupyterlite-pyodide-kernel` adds the
Pyodide kernel. Its release is pinned to the one built for Pyodide 0.27.x (see
KERNEL_PIN). Nothing comes from a CDN:

- Pyodide is build/pyodide (the verified distribution of tools/pyodide_dist.py,
  including the packages the kernel loads: ipython, jedi, ssl, sqlite3, ...),
  copied to static/pyodide/ by the kernel's own addon, which points the kernel
  at it (`pyodideUrl`).
- A second lock file next to Pyodide's own, `wasm_infer-lock.json`, is the
  official `pyodide-lock.json` plus one entry for our wheel (with its sha256).
  The kernel boots with it and preloads numpy, Pillow and wasm_infer, so
  `import wasm_infer` works in the first cell. The official lock stays
  byte-for-byte as published.
- piplite's index (pypi/all.json) holds the wasm_infer wheel, so
  `%pip install wasm-infer` works from the site itself, and `comm` (a pure-Python
  PyPI wheel the kernel installs at start; it is not in Pyodide's lock). PyPI
  fallback is disabled: a missing package fails instead of going online.
- The files: examples/*.ipynb at the top, models/efficientnet_lite0.onnx and
  data/ (photos and ImageNet labels) beside them, laid out as in build/ so the
  notebooks find them the same way natively.
"""
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools.fetch import pip_download
from tools.fetch import sha256

CORE_PIN = "jupyterlite-core==0.6.4"
# 0.6.x is the newest line built for Pyodide 0.27 (0.6.1 defaults to 0.27.6; 0.5.x
# to 0.27.0/0.27.1; 0.7 moves to 0.29). It needs jupyterlite-core >=0.6,<0.7.
KERNEL_PIN = "jupyterlite-pyodide-kernel==0.6.1"
COMM_WHEEL = "comm==0.2.2"   # the release Pyodide 0.27-era JupyterLite sites ship
KERNEL_SETTINGS = "@jupyterlite/pyodide-kernel-extension:kernel"
LOCK_NAME = "wasm_infer-lock.json"
# Loaded while Pyodide boots, in parallel, from our lock: the kernel skips its
# own (sequential) piplite installs of the ones it would load itself.
PRELOAD = ("micropip", "numpy", "pillow", "wasm-infer", "ssl", "sqlite3", "ipython", "jedi")
APPS = ("lab", "notebooks", "tree", "edit")


class LiteError(RuntimeError):
    pass


def _check_pins():
    for pin in (CORE_PIN, KERNEL_PIN):
        name, _, want = pin.partition("==")
        try:
            got = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            got = None
        if got != want:
            raise LiteError(f"{name} {got or 'is not installed'}, expected {want} (requirements-dev.txt)")


def _place(src, dst):
    """dst becomes a copy of src (a hard link when possible: same bytes, no space)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _lock_with_wheel(lock_path, wheel):
    """Pyodide's lock plus an entry for the wasm_infer wheel."""
    lock = json.loads(Path(lock_path).read_text())
    name, version = wheel.name.split("-")[:2]
    lock["packages"]["wasm-infer"] = {
        "name": "wasm-infer", "version": version, "file_name": wheel.name,
        "install_dir": "site", "sha256": sha256(wheel), "package_type": "package",
        "imports": [name], "depends": ["numpy"], "unvendored_tests": False,
    }
    return lock


def _inputs(root, build):
    """Every file the site is made of, for the up-to-date check."""
    wheels = sorted((build / "dist").glob("wasm_infer-*-py3-none-any.whl"))
    if len(wheels) != 1:
        raise LiteError(f"expected one wasm_infer wheel in {build / 'dist'}, found {len(wheels)}")
    files = {"wheel": wheels[0], "model": build / "models" / "efficientnet_lite0.onnx",
             "labels": build / "data" / "imagenet_labels.json"}
    for p in sorted((build / "data" / "images").iterdir()):
        files[f"data/images/{p.name}"] = p
    for p in sorted((root / "examples").glob("*.ipynb")):
        files[p.name] = p
    for name, p in files.items():
        if not p.exists():
            raise LiteError(f"{p} is missing ({name}); build it first")
    return files


def _stage(stage, build, files, comm_wheel):
    """The JupyterLite project folder `jupyter lite build` reads."""
    if stage.exists():
        shutil.rmtree(stage)
    contents = stage / "contents"
    for key, p in files.items():
        if key.endswith(".ipynb"):
            _place(p, contents / key)
    _place(files["model"], contents / "models" / files["model"].name)
    _place(files["labels"], contents / "data" / files["labels"].name)
    for key, p in files.items():
        if key.startswith("data/images/"):
            _place(p, contents / key)
    # Pyodide at the "well-known" place the kernel's addon copies and points to.
    pyodide = stage / "static" / "pyodide"
    for p in sorted((build / "pyodide").iterdir()):
        if p.is_file():
            _place(p, pyodide / p.name)
    _place(files["wheel"], pyodide / files["wheel"].name)
    (pyodide / LOCK_NAME).write_text(json.dumps(_lock_with_wheel(pyodide / "pyodide-lock.json", files["wheel"])))
    for wheel in (files["wheel"], comm_wheel):
        _place(wheel, stage / "pypi" / wheel.name)   # piplite's well-known folder
    (stage / "jupyter-lite.json").write_text(json.dumps({
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "wasm_infer — JupyterLite",
            "exposeAppInBrowser": True,   # window.jupyterapp: tests drive the notebook with it
            "litePluginSettings": {KERNEL_SETTINGS: {
                "disablePyPIFallback": True,
                "loadPyodideOptions": {"lockFileURL": f"./static/pyodide/{LOCK_NAME}",
                                       "packages": list(PRELOAD)},
            }},
        },
    }, indent=2))


def _check_site(out):
    """The built site points the kernel at our Pyodide and lock, with no CDN."""
    config = json.loads((out / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"][KERNEL_SETTINGS]
    if kernel.get("pyodideUrl") != "./static/pyodide/pyodide.js":
        raise LiteError(f"the kernel's pyodideUrl is {kernel.get('pyodideUrl')!r}, not our ./static/pyodide/")
    for need in ("static/pyodide/pyodide.js", f"static/pyodide/{LOCK_NAME}", "pypi/all.json",
                 "files/classify.ipynb", "files/models/efficientnet_lite0.onnx"):
        if not (out / need).exists():
            raise LiteError(f"{out / need} is missing after `jupyter lite build`")
    index = json.loads((out / "pypi" / "all.json").read_text())
    for name in ("wasm-infer", "comm"):
        if name not in index:
            raise LiteError(f"piplite index {out / 'pypi' / 'all.json'} has no {name!r}")


def build(root, out, cache):
    """Build the site into `out` unless its inputs are unchanged; returns `out`."""
    root, out, cache = Path(root), Path(out), Path(cache)
    build_dir = root / "build"
    _check_pins()
    files = _inputs(root, build_dir)
    stamp = out / ".wasm_infer.sha256"
    want = [CORE_PIN, KERNEL_PIN, COMM_WHEEL, Path(__file__).read_bytes(),
            *(f"{k}:{sha256(p)}" for k, p in files.items()),
            (build_dir / "pyodide" / "pyodide-lock.json").read_bytes(),
            *sorted(p.name for p in (build_dir / "pyodide").iterdir())]
    h = hashlib.sha256()
    for part in want:
        h.update(part if isinstance(part, bytes) else part.encode())
    if stamp.exists() and stamp.read_text() == h.hexdigest() and (out / "index.html").exists():
        return out
    comm = pip_download(COMM_WHEEL, cache)
    stage = build_dir / "lite"
    _stage(stage, build_dir, files, comm)
    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", stage, "--output-dir", out,
           "--contents", stage / "contents", "--no-sourcemaps", "--no-unused-shared-packages",
           *(f"--apps={a}" for a in APPS)]
    result = subprocess.run([str(c) for c in cmd], cwd=stage, capture_output=True, text=True)
    if result.returncode != 0:
        raise LiteError(f"`jupyter lite build` exited with {result.returncode}:\n"
                        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    _check_site(out)
    stamp.write_text(h.hexdigest())
    return out


if __name__ == "__main__":
    here = Path(__file__).resolve().parent.parent
    print(build(here, here / "build" / "site" / "lite", here / "build" / "cache"))
