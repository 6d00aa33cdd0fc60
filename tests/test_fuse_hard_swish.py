"""fuse_hard_swish: x * clip(x + 3, 0, 6) / 6 written out (as exporters of
opsets before 14 and Paddle do) becomes one HardSwish; other shapes of the
pattern are left alone. Outputs against onnxruntime."""
import collections

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper

import wasm_infer

from helpers import FLOAT, make_model


def hard_swish_model(last="Div", order=0, lo=0.0, hi=6.0, three=3.0, opset=11):
    """x -> Relu -> written-out HardSwish (Add, Clip, Mul, Div/Mul) -> y."""
    add = helper.make_node("Add", ["r", "three"] if order == 0 else ["three", "r"], ["a"])
    clip = helper.make_node("Clip", ["a", "lo", "hi"], ["c"])
    mul = helper.make_node("Mul", ["r", "c"] if order == 0 else ["c", "r"], ["m"])
    end = (helper.make_node("Div", ["m", "six"], ["y"]) if last == "Div" else
           helper.make_node("Mul", ["sixth", "m"], ["y"]))
    inits = {"three": np.float32(three), "lo": np.float32(lo), "hi": np.float32(hi), "six": np.float32(6),
             "sixth": np.float32(1 / 6)}
    return make_model([helper.make_node("Relu", ["x"], ["r"]), add, clip, mul, end], [("x", FLOAT, [2, 3, 5])],
                      [("y", FLOAT, None)], inits, opset=opset)


def _ops(model, monkeypatch, disabled=""):
    monkeypatch.setenv("WASM_INFER_DISABLE_PASSES", disabled)
    s = wasm_infer.InferenceSession(model, backend="numpy")
    return s, collections.Counter(op.op_type for op, _, _ in s._steps)


@pytest.mark.parametrize("last, order, opset", [("Div", 0, 11), ("Mul", 1, 11), ("Div", 1, 13), ("Mul", 0, 17)])
def test_written_out_hard_swish_becomes_one_node(last, order, opset, monkeypatch):
    model = hard_swish_model(last, order, opset=opset)
    x = {"x": np.linspace(-8, 8, 30, dtype=np.float32).reshape(2, 3, 5)}
    sess, ops = _ops(model, monkeypatch)
    assert ops == {"Relu": 1, "HardSwish": 1}
    _, off = _ops(model, monkeypatch, "fuse_hard_swish")
    assert off["Clip"] == 1 and "HardSwish" not in off
    ref = ort.InferenceSession(model).run(None, x)[0]
    for _ in range(2):
        np.testing.assert_allclose(sess.run(None, x)[0], ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("change", [{"hi": 5.0}, {"lo": -1.0}, {"three": 2.0}])
def test_other_constants_are_not_hard_swish(change, monkeypatch):
    model = hard_swish_model(**change)
    sess, ops = _ops(model, monkeypatch)
    assert "HardSwish" not in ops and ops["Clip"] == 1
    x = {"x": np.linspace(-8, 8, 30, dtype=np.float32).reshape(2, 3, 5)}
    np.testing.assert_allclose(sess.run(None, x)[0], ort.InferenceSession(model).run(None, x)[0], rtol=1e-6)
