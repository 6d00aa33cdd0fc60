"""Real third-party libraries that `import onnxruntime`, for the drop-in tests
(tests/test_ort_compat_clients.py natively, tests/node/ort_compat.test.mjs in
Pyodide). Each is a pure-Python wheel from PyPI that ships its own model; its
sha256 is locked in tools/downloads.txt (tools/downloads.in).

- magika 1.0.3 (Google's file-type detector; model standard_v3_3, int32 bytes in).
  PyPI also has platform wheels that add a Rust CLI: we take the py3-none-any one.
- captcha-whisperer 0.1.0 (a CNN + BiLSTM + CTC captcha reader; numpy and Pillow).

Both are installed without dependencies: onnxruntime is the drop-in, numpy and
Pillow come from Pyodide's distribution (or .venv), and magika's `click` is only
imported by its command line."""
import subprocess
import sys
import tempfile
from pathlib import Path

from tools.fetch import locked_hashes, sha256

CLIENTS = ["magika==1.0.3", "captcha-whisperer==0.1.0"]


def pure_wheel(spec, cache):
    """The py3-none-any wheel of `spec` in `cache` (downloaded once, hash-checked)."""
    allowed = locked_hashes(spec)
    name, _, version = spec.partition("==")
    stem = name.replace("-", "_").lower() + "-" + version + "-"
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)

    def cached():
        for path in cache.glob("*-none-any.whl"):
            if path.name.lower().startswith(stem):
                if sha256(path) in allowed:
                    return path
                path.unlink()      # stale or corrupt: fetch it again, checked
        return None

    found = cached()
    if found:
        return found
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp) / "requirement.txt"
        req.write_text(spec + "".join(f" --hash=sha256:{h}" for h in sorted(allowed)) + "\n")
        # --platform any: pip's choice on this machine would be a platform wheel where one exists
        result = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes",
                                 "--only-binary=:all:", "--platform", "any", "--python-version", "3.12",
                                 "-d", str(cache), "-r", str(req)])
    if result.returncode != 0:
        raise RuntimeError(f"pip download {spec} (py3-none-any) failed (exit {result.returncode}); a hash mismatch "
                           "means the file on PyPI is not the one locked in tools/downloads.txt")
    found = cached()
    if not found:
        raise FileNotFoundError(f"pip download {spec} produced no py3-none-any wheel in {cache}")
    return found


def fetch(cache):
    """{spec: wheel path} of every client, in `cache`."""
    return {spec: pure_wheel(spec, cache) for spec in CLIENTS}


if __name__ == "__main__":
    for path in fetch(sys.argv[1] if len(sys.argv) > 1 else "build/cache/ort-clients").values():
        print(path)
