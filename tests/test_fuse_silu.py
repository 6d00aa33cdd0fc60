"""fuse_silu: x * Sigmoid(x) written out (YOLOv8, EfficientNet exports)
becomes one FusedSilu; a Sigmoid read elsewhere or a Mul by something else
is left alone. Outputs against onnxruntime."""
import collections

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper

import wasm_infer

from helpers import FLOAT, make_model


def silu_model(order=0, other=None, sigmoid_out=False):
    """x -> Add (a per-channel bias) -> a * Sigmoid(a) -> y (other: the Mul's second operand instead)."""
    b = helper.make_node("Add", ["x", "bias"], ["a"])
    sig = helper.make_node("Sigmoid", ["a"], ["s"])
    second = other or "a"
    mul = helper.make_node("Mul", ["s", second] if order else [second, "s"], ["y"])
    outputs = [("y", FLOAT, None)] + ([("s", FLOAT, None)] if sigmoid_out else [])
    return make_model([b, sig, mul], [("x", FLOAT, [2, 4, 3, 3])], outputs,
                      {"bias": np.linspace(-1, 1, 4, dtype=np.float32).reshape(4, 1, 1)})


def _ops(model, monkeypatch, disabled=""):
    monkeypatch.setenv("WASM_INFER_DISABLE_PASSES", disabled)
    s = wasm_infer.InferenceSession(model, backend="numpy")
    return s, collections.Counter(op.op_type for op, _, _ in s._steps)


def _x():
    x = np.linspace(-30, 30, 72, dtype=np.float32).reshape(2, 4, 3, 3)
    x[0, 0, 0, :] = [-100.0, 100.0, 0.0]    # exp overflow on either side
    return {"x": x}


@pytest.mark.parametrize("order", [0, 1])
def test_written_out_silu_becomes_one_node(order, monkeypatch):
    model = silu_model(order)
    sess, ops = _ops(model, monkeypatch)
    assert ops == {"Add": 1, "FusedSilu": 1}
    unfused, off = _ops(model, monkeypatch, "fuse_silu")
    assert off == {"Add": 1, "Sigmoid": 1, "Mul": 1}
    ref = ort.InferenceSession(model).run(None, _x())[0]
    want = unfused.run(None, _x())[0]
    for _ in range(2):
        got = sess.run(None, _x())[0]
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-30)    # planned runs: the NumPy binder's formula
        _close(got, ref)


def _close(ours, theirs):
    # onnxruntime's Sigmoid is MLAS's rational approximation (it flushes tiny results to 0):
    # within 1e-6 of the output's magnitude, as the zoo compares
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6 * float(np.abs(theirs).max()))


@pytest.mark.parametrize("kw", [{"other": "x"}, {"sigmoid_out": True}])
def test_other_shapes_are_not_silu(kw, monkeypatch):
    model = silu_model(**kw)
    sess, ops = _ops(model, monkeypatch)
    assert "FusedSilu" not in ops and ops["Sigmoid"] == 1 and ops["Mul"] == 1
    for ours, theirs in zip(sess.run(None, _x()), ort.InferenceSession(model).run(None, _x())):
        _close(ours, theirs)
