"""Each graph pass: the graph computes the same before and after it, and the
pass really changed the graph."""
import collections

import numpy as np
import pytest
from onnx import helper

from wasm_infer import passes

from helpers import FLOAT, INT64, make_model, op_counts, pass_session

ALL = [name for name, _ in passes.PIPELINE]


def _same_outputs(model, feeds, pass_name, monkeypatch):
    """Outputs with every pass vs with all but `pass_name`: must agree."""
    on = pass_session(model, monkeypatch)
    off = pass_session(model, monkeypatch, [pass_name])
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
    assert {"ConstantOfShape", "Concat", "Slice", "Transpose", "Reshape"} <= set(op_counts(off))
    assert op_counts(on) == {"FusedConv": 1}


def test_fuse_pad_conv(monkeypatch):
    model = _pad_conv_model()
    x = {"x": np.random.default_rng(2).standard_normal((1, 3, 8, 8)).astype(np.float32)}
    on, off = _same_outputs(model, x, "fuse_pad_conv", monkeypatch)
    assert op_counts(off) == {"Pad": 1, "FusedConv": 1}
    (conv, _, _), = on._steps
    assert conv.node.attrs["pads"] == [0, 0, 1, 1]


def test_fuse_conv_activation(monkeypatch):
    model = _pad_conv_model()
    x = {"x": 10 * np.random.default_rng(3).standard_normal((1, 3, 8, 8)).astype(np.float32)}
    on, off = _same_outputs(model, x, "fuse_conv_activation", monkeypatch)
    assert op_counts(off) == {"Conv": 1, "Clip": 1}
    y = on.run(None, x)[0]
    assert y.min() == 0 and y.max() == 6  # both bounds bite on this input


def test_fuse_conv_relu_not_when_conv_output_is_shared(monkeypatch):
    w = np.ones((2, 2, 1, 1), np.float32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"]), helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("Add", ["c", "r"], ["y"])]
    model = make_model(nodes, [("x", FLOAT, [1, 2, 3, 3])], [("y", FLOAT, None)], {"w": w})
    x = {"x": np.random.default_rng(4).standard_normal((1, 2, 3, 3)).astype(np.float32)}
    on, _ = _same_outputs(model, x, "fuse_conv_activation", monkeypatch)
    assert op_counts(on) == {"Conv": 1, "Relu": 1, "Add": 1}


def test_eliminate_identity(monkeypatch):
    nodes = [helper.make_node("Identity", ["x"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
             helper.make_node("Identity", ["b"], ["y"])]
    model = make_model(nodes, [("x", FLOAT, [4])], [("y", FLOAT, [4])])
    on, off = _same_outputs(model, {"x": np.array([-1, 0, 1, 2], np.float32)}, "eliminate_identity", monkeypatch)
    assert op_counts(off) == {"Identity": 2, "Relu": 1}
    assert op_counts(on) == {"Relu": 1, "Identity": 1}  # the one writing a graph output stays


@pytest.mark.parametrize("name", ALL)
def test_efficientnet_same_without_each_pass(name, effnet_path, reference_dir, monkeypatch):
    if name == "to_nhwc":
        monkeypatch.setenv("WASM_INFER_NHWC", "1")     # natively the pass is off (no kernels): force it
    model = effnet_path.read_bytes()
    x = {"input": np.load(reference_dir / "chelsea.png.input.npy")}
    on, off = _same_outputs(model, x, name, monkeypatch)
    if name == "to_nhwc":      # the pass really ran: every Conv is an NhwcConv, and the answer is onnxruntime's
        assert op_counts(on)["NhwcConv"] == op_counts(off)["FusedConv"] + op_counts(off)["Conv"] == 49
        assert "NhwcConv" not in op_counts(off)
        expected = np.load(reference_dir / "chelsea.png.logits.npy")
        np.testing.assert_allclose(on.run(None, x)[0], expected, atol=1e-3)


def test_efficientnet_after_passes(effnet_path, monkeypatch):
    ops = op_counts(pass_session(effnet_path.read_bytes(), monkeypatch))
    # The 17 pad chains are folded and fused; every ReLU6 rides on its Conv.
    assert "Pad" not in ops and "Clip" not in ops and "Slice" not in ops
    assert ops["FusedConv"] == 33 and ops["Conv"] == 16


def _run_both(model, feeds, pass_name, monkeypatch, expect_off, expect_on):
    on, off = _same_outputs(model, feeds, pass_name, monkeypatch)
    assert op_counts(off) == expect_off
    assert op_counts(on) == expect_on
    return on, off


def test_eliminate_noops(monkeypatch):
    nodes = [helper.make_node("Dropout", ["x"], ["a"]),
             helper.make_node("Transpose", ["a"], ["b"], perm=[0, 1]),
             helper.make_node("Cast", ["b"], ["c"], to=FLOAT),
             helper.make_node("Reshape", ["c", "same"], ["d"]),
             helper.make_node("Relu", ["d"], ["y"]),
             helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0]),   # a real transpose stays
             helper.make_node("Cast", ["x"], ["i"], to=INT64)]           # a real cast stays
    model = make_model(nodes, [("x", FLOAT, [2, 3])], [("y", FLOAT, None), ("t", FLOAT, None), ("i", INT64, None)],
                       {"same": np.array([2, 3], np.int64)})
    x = {"x": np.random.default_rng(5).standard_normal((2, 3)).astype(np.float32)}
    _run_both(model, x, "eliminate_noops", monkeypatch,
              {"Dropout": 1, "Transpose": 2, "Cast": 2, "Reshape": 1, "Relu": 1},
              {"Relu": 1, "Transpose": 1, "Cast": 1})


def test_eliminate_noops_keeps_training_dropout_and_used_masks(monkeypatch):
    nodes = [helper.make_node("Dropout", ["x", "ratio", "train"], ["a"], seed=1),
             helper.make_node("Dropout", ["a"], ["b", "mask"]),
             helper.make_node("Cast", ["mask"], ["y"], to=FLOAT)]
    model = make_model(nodes, [("x", FLOAT, [4, 4])], [("y", FLOAT, None), ("b", FLOAT, None)],
                       {"ratio": np.array(0.5, np.float32), "train": np.array(True)})
    sess = pass_session(model, monkeypatch)
    assert op_counts(sess) == {"Dropout": 2, "Cast": 1}


def _conv_bn_model(gemm=False):
    rng = np.random.default_rng(6)
    bn = {"s": rng.uniform(0.5, 2, 4).astype(np.float32), "o": rng.standard_normal(4).astype(np.float32),
          "m": rng.standard_normal(4).astype(np.float32), "v": rng.uniform(0.1, 3, 4).astype(np.float32)}
    if gemm:
        nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["c"], transB=1, alpha=0.5, beta=2.0),
                 helper.make_node("BatchNormalization", ["c", "s", "o", "m", "v"], ["y"], epsilon=1e-3)]
        inits = {"w": rng.standard_normal((4, 6)).astype(np.float32), "b": rng.standard_normal(4).astype(np.float32)}
        return make_model(nodes, [("x", FLOAT, [3, 6])], [("y", FLOAT, None)], {**inits, **bn}), (3, 6)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "s", "o", "m", "v"], ["n"], epsilon=1e-3),
             helper.make_node("Relu", ["n"], ["y"])]
    inits = {"w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32)}
    return make_model(nodes, [("x", FLOAT, [1, 3, 5, 5])], [("y", FLOAT, None)], {**inits, **bn}), (1, 3, 5, 5)


def test_fold_batchnorm_into_conv(monkeypatch):
    model, shape = _conv_bn_model()
    x = {"x": np.random.default_rng(7).standard_normal(shape).astype(np.float32)}
    on, _ = _run_both(model, x, "fold_batchnorm", monkeypatch,
                      {"Conv": 1, "BatchNormalization": 1, "Relu": 1}, {"FusedConv": 1})
    assert "w" not in on.model.graph.initializers   # the unfolded weights are dropped


def test_fold_batchnorm_into_gemm(monkeypatch):
    model, shape = _conv_bn_model(gemm=True)
    x = {"x": np.random.default_rng(8).standard_normal(shape).astype(np.float32)}
    _run_both(model, x, "fold_batchnorm", monkeypatch,
              {"FusedMatMul": 1, "BatchNormalization": 1}, {"FusedMatMul": 1})


def test_fuse_matmul_bias(monkeypatch):
    rng = np.random.default_rng(9)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Add", ["bias", "m"], ["a"]),
             helper.make_node("Clip", ["a", "lo", "hi"], ["y"]),
             helper.make_node("Gemm", ["y", "w2", "c"], ["z"], transB=1, alpha=2.0, beta=0.5),
             helper.make_node("Relu", ["z"], ["r"]),
             helper.make_node("MatMul", ["x", "w"], ["kept"])]       # no Add after it: stays a MatMul
    inits = {"w": rng.standard_normal((6, 5)).astype(np.float32), "bias": rng.standard_normal(5).astype(np.float32),
             "lo": np.array(-0.5, np.float32), "hi": np.array(0.5, np.float32),
             "w2": rng.standard_normal((3, 5)).astype(np.float32), "c": rng.standard_normal((1, 3)).astype(np.float32)}
    model = make_model(nodes, [("x", FLOAT, [4, 6])], [("y", FLOAT, None), ("r", FLOAT, None),
                                                         ("kept", FLOAT, None)], inits)
    model2 = make_model(nodes[:3], [("x", FLOAT, [2, 4, 6])], [("y", FLOAT, None)], inits)
    x = {"x": 3 * rng.standard_normal((2, 4, 6)).astype(np.float32)}
    _run_both(model2, x, "fuse_matmul_bias", monkeypatch, {"MatMul": 1, "Add": 1, "Clip": 1}, {"FusedMatMul": 1})
    # 3-D x into Gemm is invalid ONNX; feed the Gemm a 2-D input instead
    x2 = {"x": 3 * rng.standard_normal((4, 6)).astype(np.float32)}
    on, _ = _run_both(model, x2, "fuse_matmul_bias", monkeypatch,
                      {"MatMul": 2, "Add": 1, "Clip": 1, "Gemm": 1, "Relu": 1}, {"FusedMatMul": 2, "MatMul": 1})
    y, r, _ = on.run(None, x2)
    assert y.min() == -0.5 and y.max() == 0.5 and r.min() == 0   # the clamps were fused and bite


def _conv_net_model():
    """Conv+Relu, MaxPool, depthwise Conv, residual Add with a per-channel constant,
    AveragePool (ceil_mode), GlobalAveragePool, Flatten, Gemm: one NHWC region."""
    rng = np.random.default_rng(10)
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1]),
             helper.make_node("Conv", ["p1", "w2"], ["c2"], group=8, pads=[2, 2, 2, 2], kernel_shape=[5, 5]),
             helper.make_node("Add", ["c2", "p1"], ["a1"]),
             helper.make_node("Mul", ["a1", "scale"], ["m1"]),
             helper.make_node("AveragePool", ["m1"], ["p2"], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
             helper.make_node("HardSwish", ["p2"], ["h"]),
             helper.make_node("GlobalAveragePool", ["h"], ["g"]),
             helper.make_node("Flatten", ["g"], ["f"]),
             helper.make_node("Gemm", ["f", "fc", "fcb"], ["y"], transB=1)]
    inits = {"w1": rng.standard_normal((8, 3, 3, 3)).astype(np.float32), "b1": rng.standard_normal(8).astype(np.float32),
             "w2": rng.standard_normal((8, 1, 5, 5)).astype(np.float32),
             "scale": rng.uniform(0.5, 1.5, (8, 1, 1)).astype(np.float32),
             "fc": rng.standard_normal((5, 8)).astype(np.float32), "fcb": rng.standard_normal(5).astype(np.float32)}
    model = make_model(nodes, [("x", FLOAT, [2, 3, 13, 11])], [("y", FLOAT, None), ("c2", FLOAT, None)], inits,
                       opset=17)
    return model, {"x": rng.standard_normal((2, 3, 13, 11)).astype(np.float32)}


def test_to_nhwc(monkeypatch):
    monkeypatch.setenv("WASM_INFER_NHWC", "1")     # natively the pass is off (no kernels): force it
    model, x = _conv_net_model()
    on, off = _same_outputs(model, x, "to_nhwc", monkeypatch)
    ops = op_counts(on)
    assert ops["NhwcConv"] == 2 and ops["NhwcPool"] == 2 and ops["NhwcGlobalAveragePool"] == 1
    assert "Conv" not in ops and "FusedConv" not in ops
    # borders only: x into NHWC; the GAP result and the graph output c2 back to NCHW
    assert ops["Transpose"] == 3
    assert not any(op.op_type == "Transpose" for op in (s[0] for s in off._steps))


def test_to_nhwc_off_without_kernels(monkeypatch):
    monkeypatch.delenv("WASM_INFER_NHWC", raising=False)
    model, _ = _conv_net_model()
    assert "NhwcConv" not in op_counts(pass_session(model, monkeypatch))


def _layer_norm_nodes(x, p, square="Mul", scale=True, shift=True, axes=(-1,), opset18=False):
    """The nodes an exporter writes for LayerNorm over the last axis, named p/...; output p/y."""
    def mean(inp, out):
        if opset18:
            return helper.make_node("ReduceMean", [inp, f"{p}/axes"], [out], keepdims=1)
        return helper.make_node("ReduceMean", [inp], [out], axes=list(axes), keepdims=1)
    sq = (helper.make_node("Mul", [f"{p}/d", f"{p}/d"], [f"{p}/sq"]) if square == "Mul" else
          helper.make_node("Pow", [f"{p}/d", f"{p}/two"], [f"{p}/sq"]))
    nodes = [mean(x, f"{p}/mean"), helper.make_node("Sub", [x, f"{p}/mean"], [f"{p}/d"]), sq,
             mean(f"{p}/sq", f"{p}/var"), helper.make_node("Add", [f"{p}/var", f"{p}/eps"], [f"{p}/ve"]),
             helper.make_node("Sqrt", [f"{p}/ve"], [f"{p}/std"]),
             helper.make_node("Div", [f"{p}/d", f"{p}/std"], [f"{p}/n" if scale or shift else f"{p}/y"])]
    if scale:
        nodes.append(helper.make_node("Mul", [f"{p}/gamma", f"{p}/n"], [f"{p}/s" if shift else f"{p}/y"]))
    if shift:
        nodes.append(helper.make_node("Add", [f"{p}/s" if scale else f"{p}/n", f"{p}/beta"], [f"{p}/y"]))
    return nodes


def _layer_norm_inits(p, c, rng):
    return {f"{p}/eps": np.array(1e-5, np.float32), f"{p}/two": np.array(2.0, np.float32),
            f"{p}/axes": np.array([-1], np.int64),
            f"{p}/gamma": rng.uniform(0.5, 1.5, c).astype(np.float32),
            f"{p}/beta": rng.uniform(-1, 1, c).astype(np.float32)}


@pytest.mark.parametrize("square, scale, shift, opset18", [
    ("Mul", True, True, False), ("Pow", True, True, True), ("Mul", True, False, False), ("Pow", False, False, False)])
def test_fuse_layer_norm(square, scale, shift, opset18, monkeypatch):
    import onnxruntime as ort
    rng = np.random.default_rng(17)
    nodes = _layer_norm_nodes("x", "ln", square, scale, shift, opset18=opset18) + \
        [helper.make_node("Relu", ["ln/y"], ["r"])]
    model = make_model(nodes, [("x", FLOAT, [2, 3, 12])], [("r", FLOAT, None)], _layer_norm_inits("ln", 12, rng),
                       opset=18 if opset18 else 17)
    x = {"x": (5 + 3 * rng.standard_normal((2, 3, 12))).astype(np.float32)}
    written = collections.Counter({"ReduceMean": 2, "Sub": 1, square: 1, "Add": 1 + shift, "Sqrt": 1, "Div": 1,
                                   "Relu": 1})
    written["Mul"] += scale
    on, _ = _run_both(model, x, "fuse_layer_norm", monkeypatch, written, {"FusedLayerNorm": 1})
    assert on._steps[0][0].node.attrs["activation_min"] == 0     # the Relu went into it too
    np.testing.assert_allclose(on.run(None, x)[0], ort.InferenceSession(model).run(None, x)[0], rtol=1e-5, atol=1e-5)


def test_fuse_layer_norm_leaves_other_patterns(monkeypatch):
    rng = np.random.default_rng(18)
    inits = {**_layer_norm_inits("a", 8, rng), **_layer_norm_inits("b", 8, rng), **_layer_norm_inits("c", 8, rng)}
    # a: the centred value is also a graph output; b: normalizes over axis 1;
    # c: eps is computed at run time (an input), so it is not a constant.
    nodes = _layer_norm_nodes("x", "a") + _layer_norm_nodes("x", "b", axes=(1,)) + _layer_norm_nodes("x", "c")
    model = make_model(nodes, [("x", FLOAT, [4, 8]), ("c/eps", FLOAT, [])],
                       [("a/y", FLOAT, None), ("a/d", FLOAT, None), ("b/y", FLOAT, None), ("c/y", FLOAT, None)],
                       {k: v for k, v in inits.items() if k != "c/eps"})
    feeds = {"x": rng.standard_normal((4, 8)).astype(np.float32), "c/eps": np.array(1e-5, np.float32)}
    on, off = _same_outputs(model, feeds, "fuse_layer_norm", monkeypatch)
    assert op_counts(on) == op_counts(off) and "FusedLayerNorm" not in op_counts(on)


def test_fuse_layer_norm_in_the_mlp_head(monkeypatch):
    """The benchmark's wake-word-shaped head: its five written-out LayerNorms
    and their ReLUs become five FusedLayerNorm nodes."""
    import onnxruntime as ort
    from tools.synthetic_models import mlp_head_if
    model = mlp_head_if().SerializeToString()
    x = {"input": np.random.default_rng(3).standard_normal((1, 16, 96)).astype(np.float32)}
    on, off = _same_outputs(model, x, "fuse_layer_norm", monkeypatch)
    assert op_counts(on)["FusedLayerNorm"] == 5 and "ReduceMean" not in op_counts(on) and "Relu" not in op_counts(on)
    assert op_counts(off)["ReduceMean"] == 10
    np.testing.assert_allclose(on.run(None, x)[0], ort.InferenceSession(model).run(None, x)[0], rtol=1e-5, atol=1e-6)


def test_passes_give_attribute_less_nodes_their_own_attributes(monkeypatch):
    # Nodes written without attributes share one read-only empty mapping (ir.NO_ATTRS: no dict per
    # node), so a pass that adds attributes to one (an activation's bounds into a Conv, a Pad's pads,
    # a Gemm's beta) gives that node a new dict: the others, and the shared mapping, stay empty.
    from wasm_infer import ir
    rng = np.random.default_rng(11)
    nodes = [helper.make_node("Pad", ["x", "pads"], ["xp"]),
             helper.make_node("Conv", ["xp", "w1"], ["c1"]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Conv", ["r1", "w2"], ["c2"]),
             helper.make_node("Relu", ["c2"], ["y"]),
             helper.make_node("Gemm", ["g", "gw", "gb"], ["gc"]),
             helper.make_node("BatchNormalization", ["gc", "s", "o", "m", "v"], ["z"])]
    inits = {"pads": np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64),
             "w1": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
             "w2": rng.standard_normal((2, 4, 1, 1)).astype(np.float32),
             "gw": rng.standard_normal((6, 4)).astype(np.float32), "gb": rng.standard_normal(4).astype(np.float32),
             "s": rng.uniform(0.5, 2, 4).astype(np.float32), "o": rng.standard_normal(4).astype(np.float32),
             "m": rng.standard_normal(4).astype(np.float32), "v": rng.uniform(0.1, 3, 4).astype(np.float32)}
    model = make_model(nodes, [("x", FLOAT, [1, 3, 6, 6]), ("g", FLOAT, [3, 6])], [("y", FLOAT, None), ("z", FLOAT, None)],
                       inits)
    feeds = {"x": rng.standard_normal((1, 3, 6, 6)).astype(np.float32), "g": rng.standard_normal((3, 6)).astype(np.float32)}
    on, off = _same_outputs(model, feeds, "fuse_conv_activation", monkeypatch)
    assert op_counts(on) == {"FusedConv": 2, "FusedMatMul": 1}
    assert len(ir.NO_ATTRS) == 0
    for op, _, _ in off._steps:
        if op.op_type in ("Relu", "BatchNormalization"):
            assert op.node.attrs is ir.NO_ATTRS
