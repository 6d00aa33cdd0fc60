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
from tools.fetch import pip_download

CLIENTS = ["magika==1.0.3", "captcha-whisperer==0.1.0"]


def pure_wheel(spec, cache):
    """The py3-none-any wheel of `spec` in `cache` (downloaded once, hash-checked)."""
    return pip_download(spec, cache, pure=True)


def fetch(cache):
    """{spec: wheel path} of every client, in `cache`."""
    return {spec: pure_wheel(spec, cache) for spec in CLIENTS}


if __name__ == "__main__":
    for path in fetch(sys.argv[1] if len(sys.argv) > 1 else "build/cache/ort-clients").values():
        print(path)
