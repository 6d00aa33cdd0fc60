"""Two real libraries from PyPI that `import onnxruntime` (magika, captcha-whisperer;
tools/ort_clients.py) run unchanged on wasm_infer's drop-in and give what they
give on the real onnxruntime, on the same inputs. Each side runs in its own
subprocess (tests/ort_clients_run.py), so the alias never shadows the real
onnxruntime here."""
import json
import os
import subprocess
import sys

import pytest

from conftest import BUILD, ROOT

RUNNER = ROOT / "tests" / "ort_clients_run.py"
TIMEOUT_S = 300      # per subprocess, for a busy 2-core machine (idle: 1-4 s)


def client_wheels():
    from tools import ort_clients
    return [str(p) for p in ort_clients.fetch(BUILD / "cache" / "ort-clients").values()]


def _run(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(RUNNER), *args], capture_output=True, text=True, timeout=TIMEOUT_S,
                          env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def assert_same_results(ours, real, tol=1e-4):
    """Same labels and texts; scores and confidences equal up to float32 rounding."""
    assert [m["file"] for m in ours["magika"]] == [m["file"] for m in real["magika"]]
    for a, b in zip(ours["magika"], real["magika"]):
        assert (a["label"], a["dl"]) == (b["label"], b["dl"]), a["file"]
        assert abs(a["score"] - b["score"]) <= tol, (a, b)
    assert [c["text"] for c in ours["captcha"]] == [c["text"] for c in real["captcha"]]
    for a, b in zip(ours["captcha"], real["captcha"]):
        assert abs(a["confidence"] - b["confidence"]) <= tol, (a, b)
        assert len(a["char_confidences"]) == len(b["char_confidences"])
        assert all(abs(x - y) <= tol for x, y in zip(a["char_confidences"], b["char_confidences"])), (a, b)
    # the README's onnxruntime example, as written there, on magika's model
    assert real["readme"]["module"] == "onnxruntime" and ours["readme"]["module"] == "wasm_infer.onnxruntime"
    assert ours["readme"]["shape"] == real["readme"]["shape"] == [2, 214]
    assert max(abs(x - y) for x, y in zip(ours["readme"]["y"], real["readme"]["y"])) <= tol


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("ort-clients")
    _run("prepare", str(out))
    return out


def test_clients_match_real_onnxruntime_through_the_alias(inputs):
    wheels = client_wheels()
    real = json.loads(_run("run", str(inputs), *wheels))
    ours = json.loads(_run("run", str(inputs), "--alias", *wheels))
    assert real["onnxruntime"] == "onnxruntime" and ours["onnxruntime"] == "wasm_infer.onnxruntime"
    assert len(real["magika"]) >= 8 and len(real["captcha"]) == 4
    # the inputs are what they say: magika recognises the repository's own files
    labels = {m["file"]: m["label"] for m in real["magika"]}
    assert labels["build.py"] == "python" and labels["package.json"] == "json"
    assert_same_results(ours, real)
    # captcha-whisperer sets enable_cpu_mem_arena=False: accepted, and reported
    assert any("enable_cpu_mem_arena=False" in w for w in ours["warnings"])


def test_install_as_onnxruntime_registers_the_submodules():
    code = """
import sys, wasm_infer
mod = wasm_infer.install_as_onnxruntime()
import onnxruntime, onnxruntime.capi.onnxruntime_pybind11_state as st
from onnxruntime.capi._pybind_state import InvalidArgument
from onnxruntime.capi.onnxruntime_pybind11_state import Fail
assert onnxruntime is mod and mod.__name__ == "wasm_infer.onnxruntime"
assert st.InvalidArgument is InvalidArgument and sys.modules["onnxruntime.capi"] is mod.capi
assert wasm_infer.install_as_onnxruntime() is mod
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT_S,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


def test_install_leaves_an_imported_onnxruntime_unless_replaced():
    code = """
import warnings, onnxruntime as real, wasm_infer
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    kept = wasm_infer.install_as_onnxruntime()
assert kept is real and "already imported" in str(w[0].message)
import sys
assert wasm_infer.install_as_onnxruntime(replace=True) is sys.modules["onnxruntime"] is not real
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT_S,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
