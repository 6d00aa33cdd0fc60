"""The built JupyterLite site (build/site/lite, tools/lite.py) is offline by
construction: the kernel is pointed at our Pyodide, every package file it can
load matches Pyodide's lock, and no setting names a CDN or falls back to PyPI."""
import json

import pytest

from conftest import BUILD, _built
from tools.lite import KERNEL_SETTINGS, LOCK_NAME, PRELOAD
from tools.pyodide_dist import closure, sha256


@pytest.fixture(scope="module")
def site():
    return _built(BUILD / "site" / "lite" / "index.html").parent


def test_kernel_settings_point_at_the_site_itself(site):
    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"][KERNEL_SETTINGS]
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.js"
    assert kernel["disablePyPIFallback"] is True
    assert kernel["loadPyodideOptions"]["lockFileURL"] == f"./static/pyodide/{LOCK_NAME}"
    assert all(url.startswith("./") for url in kernel["pipliteUrls"])
    assert "http" not in json.dumps(kernel)


def test_every_package_the_kernel_can_load_matches_the_lock(site):
    pyodide = site / "static" / "pyodide"
    official = json.loads((BUILD / "pyodide" / "pyodide-lock.json").read_text())
    ours = json.loads((pyodide / LOCK_NAME).read_text())
    assert (pyodide / "pyodide-lock.json").read_bytes() == (BUILD / "pyodide" / "pyodide-lock.json").read_bytes()
    # Our lock is Pyodide's plus exactly one entry: the wasm_infer wheel.
    assert set(ours["packages"]) - set(official["packages"]) == {"wasm-infer"}
    assert all(ours["packages"][k] == v for k, v in official["packages"].items())
    # What the kernel preloads, with its dependencies, is all there and verified.
    for name in closure(ours, PRELOAD):
        entry = ours["packages"][name]
        assert sha256(pyodide / entry["file_name"]) == entry["sha256"], entry["file_name"]
    # And so is any other package file shipped beside it.
    for entry in ours["packages"].values():
        if (pyodide / entry["file_name"]).exists():
            assert sha256(pyodide / entry["file_name"]) == entry["sha256"], entry["file_name"]
