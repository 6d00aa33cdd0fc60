"""Build the py3-none-any wheel of wasm_infer, with the kernel side modules and
their symbol table (`_kernels.json`, written beside them by tools/build_kernels.py).

A wheel is a zip with a fixed layout; writing it directly keeps the build
offline and fast (no isolated build environment to download)."""
import base64
import hashlib
import tomllib
import zipfile
from pathlib import Path


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build(root, out_dir, kernels_so):
    root, out_dir = Path(root), Path(out_dir)
    meta = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    name, version = meta["name"].replace("-", "_"), meta["version"]
    files = {}
    for path in sorted((root / "wasm_infer").rglob("*.py")):
        files[path.relative_to(root).as_posix()] = path.read_bytes()
    files["wasm_infer/_kernels.so"] = Path(kernels_so).read_bytes()
    # The relaxed-SIMD build, built beside it; not named *.so so that Pyodide's
    # loader does not preload (and fail to compile) it on engines without
    # relaxed SIMD: wasm_infer.kernels loads it only after feature detection.
    files["wasm_infer/_kernels_relaxed.wasm"] = (Path(kernels_so).parent / "_kernels_relaxed.wasm").read_bytes()
    # The names wasm_infer.kernels looks up in either module.
    files["wasm_infer/_kernels.json"] = (Path(kernels_so).parent / "_kernels.json").read_bytes()
    info = f"{name}-{version}.dist-info"
    requires = "".join(f"Requires-Dist: {r}\n" for r in meta.get("dependencies", []))
    files[f"{info}/METADATA"] = (f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {version}\n"
                                 f"Summary: {meta['description']}\nRequires-Python: {meta['requires-python']}\n"
                                 f"{requires}").encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: wasm_infer build.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/top_level.txt"] = b"wasm_infer\n"
    record = [_record_line(n, d) for n, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.whl"):
        old.unlink()
    wheel = out_dir / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in files.items():
            zi = zipfile.ZipInfo(n, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible bytes
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zf.writestr(zi, d)
    return wheel
