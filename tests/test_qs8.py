"""int8 (QS8) path, natively: the fuse_qdq pass against onnxruntime's own
QDQ execution (QLinearConv / QLinearAdd), bad quantization parameters, and
the quantized EfficientNet-Lite0 of the zoo. The kernels are tested inside
Pyodide (tests/node/qs8.test.mjs)."""
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import wasm_infer
from tools import ort_reference
from wasm_infer.errors import ModelError

from helpers import FLOAT, op_counts

ZOO = Path(__file__).resolve().parent.parent / "build" / "zoo"
U8 = TensorProto.UINT8
rng = np.random.default_rng(14)


def _model(nodes, inits, in_shape):
    graph = helper.make_graph(nodes, "qdq", [helper.make_tensor_value_info("x", FLOAT, list(in_shape))],
                              [helper.make_tensor_value_info("y", FLOAT, None)],
                              [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m.SerializeToString()


def qdq_conv(c=8, m=12, k=3, group=1, strides=(1, 1), pads=(1, 1, 1, 1), act=None, signed=False, bias=True,
             wscale=None, wzp=None, bscale=None, xzp=None):
    """Q → DQ → Conv(DQ(int8 w), DQ(int32 b)) → (act) → Q → DQ, as quantize_static writes it."""
    zt = np.int8 if signed else np.uint8
    sx, zx = np.float32(0.02), zt(xzp if xzp is not None else (3 if signed else 120))
    sy, zy = np.float32(0.05), zt(-7 if signed else 100)
    w = rng.integers(-127, 128, (m, c // group, k, k)).astype(np.int8)
    sw = rng.uniform(0.002, 0.02, m).astype(np.float32) if wscale is None else wscale
    inits = {"sx": sx, "zx": zx, "sy": sy, "zy": zy, "w": w, "sw": sw,
             "zw": np.zeros(m, np.int8) if wzp is None else wzp}
    nodes = [helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"], name="q_x"),
             helper.make_node("DequantizeLinear", ["xq", "sx", "zx"], ["xf"], name="dq_x"),
             helper.make_node("DequantizeLinear", ["w", "sw", "zw"], ["wf"], axis=0, name="dq_w")]
    conv_in = ["xf", "wf"]
    if bias:
        inits.update(b=rng.integers(-3000, 3000, m).astype(np.int32),
                     sb=(sx * sw).astype(np.float32) if bscale is None else bscale, zb=np.zeros(m, np.int32))
        nodes.append(helper.make_node("DequantizeLinear", ["b", "sb", "zb"], ["bf"], axis=0, name="dq_b"))
        conv_in.append("bf")
    nodes.append(helper.make_node("Conv", conv_in, ["c"], kernel_shape=[k, k], pads=list(pads), strides=list(strides),
                                  group=group, name="conv"))
    last = "c"
    if act == "Relu":
        nodes.append(helper.make_node("Relu", ["c"], ["a"], name="relu"))
        last = "a"
    elif act == "Clip":
        inits.update(lo=np.float32(0.0), hi=np.float32(3.0))
        nodes.append(helper.make_node("Clip", ["c", "lo", "hi"], ["a"], name="clip"))
        last = "a"
    nodes += [helper.make_node("QuantizeLinear", [last, "sy", "zy"], ["yq"], name="q_y"),
              helper.make_node("DequantizeLinear", ["yq", "sy", "zy"], ["y"], name="dq_y")]
    return _model(nodes, inits, (1, c, 9, 9))


def _ort(model, feeds):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort_reference.session(model, so).run(None, feeds)


def _ours(model, monkeypatch, nhwc="0"):
    monkeypatch.setenv("WASM_INFER_NHWC", nhwc)
    return wasm_infer.InferenceSession(model, backend="numpy")


CONVS = {
    "3x3": dict(), "1x1": dict(k=1, pads=(0, 0, 0, 0)), "3x3 s2 asymmetric": dict(strides=(2, 2), pads=(0, 0, 1, 1)),
    "depthwise 5x5 s2": dict(m=8, k=5, group=8, strides=(2, 2), pads=(1, 1, 2, 2)), "group 2": dict(group=2),
    "no bias": dict(bias=False), "Relu": dict(act="Relu"), "Clip 0..3": dict(act="Clip"),
    "int8 activations": dict(signed=True), "int8 + Relu": dict(signed=True, act="Relu"),
}


@pytest.mark.parametrize("nhwc", ["0", "1"])
@pytest.mark.parametrize("case", list(CONVS))
def test_qdq_conv_is_one_int8_op_bit_exact_with_onnxruntime(case, nhwc, monkeypatch):
    model = qdq_conv(**CONVS[case])
    x = rng.uniform(-2.5, 2.5, (1, 8, 9, 9)).astype(np.float32)
    sess = _ours(model, monkeypatch, nhwc)
    ops = op_counts(sess)
    assert ops[("NhwcQS8Conv" if nhwc == "1" else "QS8Conv")] == 1, ops
    assert ops["Conv"] == ops["Relu"] == ops["Clip"] == 0, ops
    (want,) = _ort(model, {"x": x})
    (got,) = sess.run(None, {"x": x})
    # the same uint8/int8 values dequantized by the same scale: equal floats
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("case", ["nonzero weight zero point", "bias of another scale"])
def test_what_does_not_match_stays_float_and_correct(case, monkeypatch):
    m = 12
    kw = {"nonzero weight zero point": dict(wzp=np.full(m, 2, np.int8)),
          "bias of another scale": dict(bscale=np.full(m, 1e-3, np.float32))}[case]
    model = qdq_conv(**kw)
    x = rng.uniform(-2.5, 2.5, (1, 8, 9, 9)).astype(np.float32)
    sess = _ours(model, monkeypatch)
    assert op_counts(sess)["QS8Conv"] == 0
    (want,) = _ort(model, {"x": x})
    (got,) = sess.run(None, {"x": x})
    step = np.float32(0.05)
    assert np.abs(got - want).max() <= step * 1.0001      # float conv vs onnxruntime's: one step at most


def test_qdq_add_against_onnxruntime_every_input_pair(monkeypatch):
    """QS8Add on all 65,536 (a, b) pairs with the scales of EfficientNet-Lite0's
    first Add: onnxruntime's QLinearAdd rounds two near-ties the other way."""
    inits = {"sa": np.float32(0.39093518), "za": np.uint8(123), "sb": np.float32(0.49263644), "zb": np.uint8(117),
             "sc": np.float32(0.5403142), "zc": np.uint8(136)}
    nodes = [helper.make_node("DequantizeLinear", ["a", "sa", "za"], ["fa"]),
             helper.make_node("DequantizeLinear", ["b", "sb", "zb"], ["fb"]),
             helper.make_node("Add", ["fa", "fb"], ["s"], name="add"),
             helper.make_node("QuantizeLinear", ["s", "sc", "zc"], ["y"])]
    graph = helper.make_graph(nodes, "add", [helper.make_tensor_value_info("a", U8, [256, 256]),
                                             helper.make_tensor_value_info("b", U8, [256, 256])],
                              [helper.make_tensor_value_info("y", U8, [256, 256])],
                              [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    model = m.SerializeToString()
    a = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 256, 1)
    feeds = {"a": a, "b": a.T.copy()}
    sess = _ours(model, monkeypatch)
    assert op_counts(sess)["QS8Add"] == 1
    got = sess.run(None, feeds)[0].astype(int)
    want = _ort(model, feeds)[0].astype(int)
    diff = np.abs(got - want)
    assert diff.max() <= 1 and np.count_nonzero(diff) <= 2, np.argwhere(diff)
    # and the exact value is a near-tie wherever they differ
    exact = ((a.astype(float) - 123) * 0.39093518 + (a.T - 117.0) * 0.49263644) / 0.5403142 + 136
    assert (np.abs(np.abs(exact - np.floor(exact)) - 0.5)[diff > 0] < 1e-4).all()


BAD = {
    "zero scale": (dict(wscale=np.zeros(12, np.float32)), "dq_w", "positive and finite"),
    "negative scale": (dict(wscale=np.full(12, -0.01, np.float32)), "dq_w", "positive and finite"),
    "NaN scale": (dict(bscale=np.full(12, np.nan, np.float32)), "dq_b", "positive and finite"),
    "per-axis length": (dict(wscale=np.full(5, 0.01, np.float32), wzp=np.zeros(5, np.int8)), "dq_w", "per-axis"),
    "zero point of another type": (dict(wzp=np.zeros(12, np.uint8)), "dq_w", "is uint8"),
    "scale and zero point shapes": (dict(wzp=np.zeros(3, np.int8)), "dq_w", "has shape"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_quantization_parameters_are_model_errors_naming_the_node(case, monkeypatch):
    kw, node, msg = BAD[case]
    with pytest.raises(ModelError, match=f"{node}.*{msg}"):
        _ours(qdq_conv(**kw), monkeypatch)


def test_int32_zero_point_must_be_zero(monkeypatch):
    model = qdq_conv()
    from onnx import load_from_string
    m = load_from_string(model)
    for init in m.graph.initializer:
        if init.name == "zb":
            init.CopyFrom(numpy_helper.from_array(np.full(12, 4, np.int32), "zb"))
    with pytest.raises(ModelError, match="dq_b.*int32 zero point must be 0"):
        _ours(m.SerializeToString(), monkeypatch)


zoo = pytest.mark.skipif(not (ZOO / "efficientnet_lite0_int8.onnx").exists(),
                         reason="build/zoo lacks the int8 model: python3 build.py zoo")


@zoo
def test_zoo_int8_efficientnet_matches_onnxruntime_and_fuses_every_conv(monkeypatch):
    import json
    entry = next(e for e in json.loads((ZOO / "zoo.json").read_text())["models"]
                 if e["key"] == "efficientnet_lite0_int8")
    x = np.load(ZOO / entry["feeds"])["in0"]
    ref = np.load(ZOO / entry["ref"])["out0"]
    sess = _ours((ZOO / entry["file"]).read_bytes(), monkeypatch)
    ops = op_counts(sess)
    assert ops["QS8Conv"] == 49 and ops["QS8Add"] == 9 and ops["Conv"] == 0, ops
    (y,) = sess.run(None, {"input": x})
    assert np.abs(y - ref).max() <= entry["rtol"] * np.abs(ref).max()
    assert y.argmax() == ref.argmax()


@zoo
def test_zoo_int8_top1_agrees_with_fp32_on_the_sample_photos(monkeypatch):
    from wasm_infer.vision import imagenet_preprocess
    photos = sorted((ZOO.parent / "data" / "images").iterdir())
    q = _ours((ZOO / "efficientnet_lite0_int8.onnx").read_bytes(), monkeypatch)
    f = _ours((ZOO / "efficientnet_lite0.onnx").read_bytes(), monkeypatch)
    tops = [(q.run(None, {"input": x})[0].argmax(), f.run(None, {"input": x})[0].argmax())
            for x in (imagenet_preprocess(p) for p in photos)]
    assert len(tops) >= 4 and all(a == b for a, b in tops), tops
