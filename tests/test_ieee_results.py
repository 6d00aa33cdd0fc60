"""Floating-point results are IEEE 754's, given silently, as onnxruntime gives them: exp(100) is
inf and log(0) -inf with no NumPy RuntimeWarning (it names our op's file, not the caller's
code), and the caller's np.seterr does not change what a model computes."""
import warnings

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper

import wasm_infer

from helpers import FLOAT, make_model

# inputs that make each op overflow, divide by zero or produce NaN
X = np.array([0, -1, 1e30, -1e30, np.nan, np.inf, 3e38, -0.0], np.float32)
UNARY = ["Exp", "Log", "Sqrt", "Reciprocal", "Softplus", "Acos", "Atanh", "Asin", "Cosh", "Sinh", "Tan"]
BINARY = ["Pow", "Div", "Mul", "Sub", "Mod"]


def _model(op):
    if op in BINARY:
        node = helper.make_node(op, ["x", "x"], ["y"], **({"fmod": 1} if op == "Mod" else {}))
    else:
        node = helper.make_node(op, ["x"], ["y"])
    return make_model([node], [("x", FLOAT, [len(X)])], [("y", FLOAT, [len(X)])])


def _reference(model):
    return ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, {"x": X})[0]


@pytest.mark.parametrize("op", UNARY + BINARY)
def test_no_warning_and_onnxruntimes_values_when_a_result_overflows_or_is_nan(op):
    model = _model(op)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # a RuntimeWarning fails the test
        sess = wasm_infer.InferenceSession(model)
        results = [sess.run(None, {"x": X})[0] for _ in range(3)]   # recording run, then the plan
        sess.profile_run({"x": X})
    want = _reference(model)
    for got in results:
        np.testing.assert_allclose(got, want, rtol=1e-5, equal_nan=True)
        assert (np.isnan(got) == np.isnan(want)).all() and (np.isinf(got) == np.isinf(want)).all()


def test_folding_at_load_warns_nothing():
    """log(0) and exp(1e30) folded while the session loads."""
    zero = helper.make_tensor("zero", FLOAT, [2], [0.0, 1e30])
    nodes = [helper.make_node("Constant", [], ["c"], value=zero), helper.make_node("Log", ["c"], ["l"]),
             helper.make_node("Exp", ["c"], ["e"]), helper.make_node("Add", ["l", "x"], ["s"]),
             helper.make_node("Add", ["e", "s"], ["y"])]
    model = make_model(nodes, [("x", FLOAT, [2])], [("y", FLOAT, [2])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sess = wasm_infer.InferenceSession(model)
        got = sess.run(None, {"x": np.ones(2, np.float32)})[0]
    assert not any(op.op_type in ("Log", "Exp") for op, _, _ in sess._steps)     # folded at load
    want = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, {"x": np.ones(2, np.float32)})[0]
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, [-np.inf, np.inf])


def test_the_callers_numpy_error_settings_change_nothing_and_are_kept():
    """np.seterr(all="raise") in the caller's code: the model still computes inf and NaN (as
    onnxruntime does) instead of failing, and the setting is the caller's again after."""
    model = _model("Log")
    old = np.seterr(all="raise")
    try:
        sess = wasm_infer.InferenceSession(model)
        got = [sess.run(None, {"x": X})[0] for _ in range(3)]
        assert np.geterr() == {"divide": "raise", "over": "raise", "under": "raise", "invalid": "raise"}
        with pytest.raises(FloatingPointError):
            np.log(np.float32(0))       # the caller's own code still raises
    finally:
        np.seterr(**old)
    for g in got:
        np.testing.assert_array_equal(g, _reference(model))
