"""Each graph pass: the graph computes the same before and after it, and the
pass really changed the graph."""
import collections

import numpy as np
import pytest
from onnx import helper

import wasm_infer
from wasm_infer import passes

from helpers import FLOAT, INT64, make_model

ALL = [name for name, _ in passes.PIPELINE]


def _session(model, monkeypatch, disabled=()):
    monkeypatch.setenv("WASM_INFER_DISABLE_PASSES", ",".join(disabled))
    return wasm_infer.InferenceSession(model, backend="numpy")


def _ops(sess):
    return collections.Counter(op.op_type for op, _, _ in sess._steps)


def _same_outputs(model, feeds, pass_name, monkeypatch):
    """Outputs with every pass vs with all but `pass_name`: must agree."""
    on = _session(model, monkeypatch)
    off = _session(model, monkeypatch, [pass_name])
    for a, b in zip(on.run(None, feeds), off.run(None, feeds)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    return on, off


def _pad_conv_model():
    """What torch exports for a same-padded conv: pads computed by shape ops, then Pad, Conv, Clip."""
    nodes = [
        helper.make_node("ConstantOfShape", ["four"], ["zeros"], value=helper.make_tensor("v", INT64, [1], [0])),
        helper.make_node("Concat", ["lrtb", "zeros"], ["pads8"], axis=0),
        helper.make_node("Reshape", ["pads8", "m1_2"], ["pairs"]),
        helper.make_node("Slice", ["pairs", "m1", "big_neg", "zero", "m1"], ["rev"]),
        helper.make_node("Transpose", ["rev"], ["t"], perm=[1, 0]),
        helper.make_node("Reshape", ["t", "m1"], ["pads"]),
        helper.make_node("Pad", ["x", "pads", "pad_value"], ["xp"], mode="constant"),
        helper.make_node("Conv", ["xp", "w", "b"], ["c"], strides=[2, 2]),
        helper.make_node("Clip", ["c", "lo", "hi"], ["y"]),
    ]
    rng = np.random.default_rng(0)
    inits = {"four": np.array([4], np.int64), "lrtb": np.array([0, 1, 0, 1], np.int64),
             "m1_2": np.array([-1, 2], np.int64), "m1": np.array([-1], np.int64),
             "big_neg": np.array([-2**63 + 1], np.int64), "zero": np.array([0], np.int64),
             "pad_value": np.array(0, np.float32), "w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
             "b": rng.standard_normal(4).astype(np.float32), "lo": np.array(0, np.float32),
             "hi": np.array(6, np.float32)}
    return make_model(nodes, [("x", FLOAT, [1, 3, 8, 8])], [("y", FLOAT, None)], inits)


def test_fold_constants(monkeypatch):
    model = _pad_conv_model()
    x = {"x": np.random.default_rng(1).standard_normal((1, 3, 8, 8)).astype(np.float32)}
    on, off = _same_outputs(model, x, "fold_constants", monkeypatch)
    assert {"ConstantOfShape", "Concat", "Slice", "Transpose", "Reshape"} <= set(_ops(off))
    assert _ops(on) == {"FusedConv": 1}


def test_fuse_pad_conv(monkeypatch):
    model = _pad_conv_model()
    x = {"x": np.random.default_rng(2).standard_normal((1, 3, 8, 8)).astype(np.float32)}
    on, off = _same_outputs(model, x, "fuse_pad_conv", monkeypatch)
    assert _ops(off) == {"Pad": 1, "FusedConv": 1}
    (conv, _, _), = on._steps
    assert conv.node.attrs["pads"] == [0, 0, 1, 1]


def test_fuse_conv_activation(monkeypatch):
    model = _pad_conv_model()
    x = {"x": 10 * np.random.default_rng(3).standard_normal((1, 3, 8, 8)).astype(np.float32)}
    on, off = _same_outputs(model, x, "fuse_conv_activation", monkeypatch)
    assert _ops(off) == {"Conv": 1, "Clip": 1}
    y = on.run(None, x)[0]
    assert y.min() == 0 and y.max() == 6  # both bounds bite on this input


def test_fuse_conv_relu_not_when_conv_output_is_shared(monkeypatch):
    w = np.ones((2, 2, 1, 1), np.float32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"]), helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("Add", ["c", "r"], ["y"])]
    model = make_model(nodes, [("x", FLOAT, [1, 2, 3, 3])], [("y", FLOAT, None)], {"w": w})
    x = {"x": np.random.default_rng(4).standard_normal((1, 2, 3, 3)).astype(np.float32)}
    on, _ = _same_outputs(model, x, "fuse_conv_activation", monkeypatch)
    assert _ops(on) == {"Conv": 1, "Relu": 1, "Add": 1}


def test_eliminate_identity(monkeypatch):
    nodes = [helper.make_node("Identity", ["x"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
             helper.make_node("Identity", ["b"], ["y"])]
    model = make_model(nodes, [("x", FLOAT, [4])], [("y", FLOAT, [4])])
    on, off = _same_outputs(model, {"x": np.array([-1, 0, 1, 2], np.float32)}, "eliminate_identity", monkeypatch)
    assert _ops(off) == {"Identity": 2, "Relu": 1}
    assert _ops(on) == {"Relu": 1, "Identity": 1}  # the one writing a graph output stays


@pytest.mark.parametrize("name", ALL)
def test_efficientnet_same_without_each_pass(name, effnet_path, reference_dir, monkeypatch):
    model = effnet_path.read_bytes()
    x = {"input": np.load(reference_dir / "chelsea.png.input.npy")}
    _same_outputs(model, x, name, monkeypatch)


def test_efficientnet_after_passes(effnet_path, monkeypatch):
    ops = _ops(_session(effnet_path.read_bytes(), monkeypatch))
    # The 17 pad chains are folded and fused; every ReLU6 rides on its Conv.
    assert "Pad" not in ops and "Clip" not in ops and "Slice" not in ops
    assert ops["FusedConv"] == 33 and ops["Conv"] == 16
