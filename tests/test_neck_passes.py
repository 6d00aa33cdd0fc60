"""The passes and lowerings that keep a detection/segmentation neck in one
channels-last region on the kernels: a Conv/ConvTranspose bias written as an
Add (fold_conv_bias), BatchNormalization after a ConvTranspose
(fold_batchnorm), ConvTranspose with kernel == stride, nearest Resize,
Concat and Split in NHWC (to_nhwc), and the copies that write Resize,
Concat and Split straight into the plan's arena (lowering/copies.py)."""

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper

import wasm_infer

from helpers import FLOAT, make_model, op_counts
from plan_chain_models import inputs, neck


def _session(model, monkeypatch, nhwc="1", disabled=()):
    monkeypatch.setenv("WASM_INFER_NHWC", nhwc)
    monkeypatch.setenv("WASM_INFER_DISABLE_PASSES", ",".join(disabled))
    return wasm_infer.InferenceSession(model, backend="numpy")


@pytest.mark.parametrize("nhwc", ["1", "0"])
def test_neck_matches_onnxruntime_with_fewer_nodes(nhwc, monkeypatch):
    model, x = neck(np.random.default_rng(7)), {"x": inputs()["neck"]}
    ref = ort.InferenceSession(model).run(None, x)
    sess = _session(model, monkeypatch, nhwc)
    for _ in range(2):                 # the first run, then the planned run
        for got, want in zip(sess.run(None, x), ref):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    ops = op_counts(sess)
    assert "BatchNormalization" not in ops and ops["Add"] == 0      # both biases and both BNs folded
    if nhwc == "1":
        assert ops["NhwcConv"] == 2 and ops["NhwcConvTranspose"] == 1 and "ConvTranspose" not in ops
        # x into NHWC, the outputs y and z back to NCHW: nothing in between
        assert ops["Transpose"] == 3
    (plan,) = sess._plans.values()
    bound = {op.op_type: note for op, how, note in zip(plan.where, plan.kinds, plan.notes) if how == "bound"}
    assert bound["Concat"] == "numpy.copyto (concat)" and bound["Split"] == "numpy.copyto (split)"
    assert bound["HardSigmoid"] == "numpy hard sigmoid"
    notes = [(how, note) for op, how, note in zip(plan.where, plan.kinds, plan.notes) if op.op_type == "Resize"]
    assert notes[0] == ("bound", "numpy.copyto (repeat)")
    assert notes[1][0] == "numpy" and "not each element repeated" in notes[1][1]


def test_folding_passes_off_give_the_same(monkeypatch):
    model, x = neck(np.random.default_rng(7)), {"x": inputs()["neck"]}
    on = _session(model, monkeypatch).run(None, x)
    off = _session(model, monkeypatch, disabled=("fold_conv_bias", "fold_batchnorm", "to_nhwc")).run(None, x)
    for a, b in zip(on, off):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode, coords, scales", [
    ("asymmetric", "floor", [1, 1, 2, 3]), ("half_pixel", "round_prefer_floor", [1, 1, 4, 4]),
    ("pytorch_half_pixel", "round_prefer_ceil", [1, 2, 2, 1]), ("asymmetric", "ceil", [1, 1, 2, 2]),
    ("align_corners", "round_prefer_floor", [1, 1, 2, 2]), ("half_pixel", "floor", [1, 1, 0.5, 0.5])])
def test_resize_copy_binds_only_where_it_is_a_repetition(mode, coords, scales, monkeypatch):
    """Whether the copy applies is decided by probing the op itself: every
    mode either binds (each element repeated) or runs the op, and both match
    onnxruntime."""
    node = helper.make_node("Resize", ["x", "", "s"], ["y"], mode="nearest",
                            coordinate_transformation_mode=mode, nearest_mode=coords)
    model = make_model([node, helper.make_node("Relu", ["y"], ["r"])], [("x", FLOAT, [1, 2, 6, 5])],
                       [("r", FLOAT, None)], {"s": np.array(scales, np.float32)}, opset=13)
    x = {"x": np.random.default_rng(1).standard_normal((1, 2, 6, 5)).astype(np.float32)}
    sess = _session(model, monkeypatch, nhwc="0")
    ref = ort.InferenceSession(model).run(None, x)[0]
    for _ in range(2):
        np.testing.assert_array_equal(sess.run(None, x)[0], ref)
    (plan,) = sess._plans.values()
    how = dict(zip([op.op_type for op in plan.where], plan.kinds))["Resize"]
    # onnxruntime as the oracle: is its output on an index ramp each element repeated?
    ramp = np.arange(60, dtype=np.float32).reshape(1, 2, 6, 5)
    got = ort.InferenceSession(model).run(None, {"x": ramp})[0]
    factors = [o // i if o % i == 0 else 0 for o, i in zip(got.shape, ramp.shape)]
    repeats = 0 not in factors and np.array_equal(
        got, ramp.repeat(factors[1], 1).repeat(factors[2], 2).repeat(factors[3], 3))
    assert how == ("bound" if repeats else "numpy"), (mode, coords, scales)
