"""Build the py3-none-any wheel of wasm_infer with the PEP 517 backend that
pyproject.toml names (hatchling), offline and without an isolated build
environment: the backend is hash-locked in requirements-dev.txt and installed
in .venv.

What goes into the wheel is declared once, in pyproject.toml: the package
`wasm_infer` and, as force-included package data, the kernel side modules and
their table that tools/build_kernels.py writes into build/kernels. The build
runs in a scratch copy of the project's inputs (pyproject.toml, README.md,
LICENSE, the package and the kernel files), so that a stray file in the
checkout cannot slip into the wheel and tests can build with other kernel
files. The wheel is reproducible: hatchling stamps every file with
SOURCE_DATE_EPOCH when it is set, else with its own fixed date."""
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

KERNEL_FILES = ("_kernels.so", "_kernels_relaxed.wasm", "_kernels.json")


def config(root):
    return tomllib.loads((Path(root) / "pyproject.toml").read_text())


def forced_files(cfg):
    """{source path in the project: path in the wheel} of the declared package data."""
    return dict(cfg["tool"]["hatch"]["build"]["targets"]["wheel"].get("force-include", {}))


def stage(root, dest, kernels_dir):
    """Copy the project's inputs to the build into `dest` (the kernel files from
    `kernels_dir` to the paths pyproject.toml names); return the backend's name."""
    root, dest = Path(root), Path(dest)
    cfg = config(root)
    project = cfg["project"]
    inputs = ["pyproject.toml", ".gitignore", project["readme"], *project.get("license-files", [])]
    for name in inputs:
        if (root / name).exists():
            shutil.copy2(root / name, dest / name)
    for package in cfg["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]:
        shutil.copytree(root / package, dest / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for source in forced_files(cfg):
        src = Path(kernels_dir) / Path(source).name
        if not src.is_file():
            raise FileNotFoundError(f"{src} is missing: pyproject.toml puts {source} into the wheel "
                                    "(build the kernels first: `python3 build.py setup`)")
        (dest / source).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / source)
    return cfg["build-system"]["build-backend"]


def build(root, out_dir, kernels_so):
    """Build the wheel into out_dir (replacing any older one there); return its path.
    `kernels_so` is the built _kernels.so; the other kernel files are beside it."""
    root, out_dir = Path(root).resolve(), Path(out_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="wasm_infer_wheel_") as tmp:
        src, built = Path(tmp) / "src", Path(tmp) / "out"
        src.mkdir()
        built.mkdir()
        backend = stage(root, src, Path(kernels_so).parent)
        # The PEP 517 hook, called the way a frontend calls it without isolation.
        hook = f"import sys, {backend} as b; print(b.build_wheel(sys.argv[1]))"
        result = subprocess.run([sys.executable, "-c", hook, str(built)], cwd=src, capture_output=True,
                                text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"the build backend {backend} failed (exit {result.returncode}):\n"
                               f"{result.stdout}{result.stderr}")
        name = result.stdout.strip().splitlines()[-1]
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob("*.whl"):
            old.unlink()
        wheel = out_dir / name
        shutil.copyfile(built / name, wheel)
    return wheel


def fetch_runtime_wheels(root, cache):
    """The locked wheels (requirements-dev.txt) of what `pip install "wasm-infer[vision]"`
    needs on this machine (numpy, Pillow), downloaded once into `cache`, so that
    tests/test_packaging.py can install the wheel into a fresh venv offline."""
    import re

    from tools.fetch import normalize, pip_download, read_lock
    lock_file = Path(root) / "requirements-dev.txt"
    pins = read_lock(lock_file.read_text())
    project = config(root)["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["vision"]]
    paths = []
    for requirement in wanted:
        name = normalize(re.match(r"[A-Za-z0-9._-]+", requirement)[0])
        _, version, _, _ = pins[name]
        paths.append(pip_download(f"{name}=={version}", cache, lock=lock_file))
    return paths
