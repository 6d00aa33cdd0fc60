"""fuse_qlinear: QOperator models (onnxruntime's quantize_static with
QuantFormat.QOperator) run their QLinearConv / QLinearAdd as the int8 ops
of the QDQ path, byte-exact with onnxruntime; bad quantization parameters
are ModelErrors at load naming the node. The kernels run on them inside
Pyodide in tests/node/qoperator.test.mjs."""
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import wasm_infer
from wasm_infer.errors import ModelError

from qoperator_models import MODELS, inputs, ort_run, qoperator_model
from helpers import op_counts

TEST_TIMEOUT_S = 120   # per test (tests/conftest.py)


def _session(model, monkeypatch, nhwc):
    monkeypatch.setenv("WASM_INFER_NHWC", nhwc)
    return wasm_infer.InferenceSession(model, backend="numpy")


@pytest.fixture(scope="module")
def models():
    return {name: qoperator_model(**kw) for name, kw in MODELS.items()}


@pytest.mark.parametrize("nhwc", ["0", "1"])
@pytest.mark.parametrize("name", list(MODELS))
def test_qlinear_ops_become_int8_ops_byte_exact_with_onnxruntime(models, name, nhwc, monkeypatch):
    model = models[name]
    sess = _session(model, monkeypatch, nhwc)
    ops = op_counts(sess)
    conv = "NhwcQS8Conv" if nhwc == "1" else "QS8Conv"
    assert ops[conv] == 4 and ops["QS8Add"] == 1, ops
    assert ops["QLinearConv"] == ops["QLinearAdd"] == 0, ops
    for x in inputs(5, 3):
        want = ort_run(model, x)
        (got,) = sess.run(None, {"x": x})
        # the same bytes dequantized by the same scale: equal floats
        np.testing.assert_array_equal(got, want)


def _edit(model, name, value):
    m = onnx.load_from_string(model)
    (init,) = [i for i in m.graph.initializer if i.name == name]
    init.CopyFrom(numpy_helper.from_array(value, name))
    return m.SerializeToString()


def _conv_input(model, index):
    """The name of input `index` of the first QLinearConv, and that node's name."""
    m = onnx.load_from_string(model)
    node = next(n for n in m.graph.node if n.op_type == "QLinearConv")
    return node.input[index], node.name


def test_nonzero_weight_zero_point_stays_qlinearconv_and_matches(models, monkeypatch):
    model = models["qop_u8"]
    zw, _ = _conv_input(model, 5)
    m = onnx.load_from_string(model)
    size = numpy_helper.to_array(next(i for i in m.graph.initializer if i.name == zw)).size
    model = _edit(model, zw, np.full(size, 3, np.int8))
    sess = _session(model, monkeypatch, "1")
    ops = op_counts(sess)
    assert ops["QLinearConv"] == 1 and ops["NhwcQS8Conv"] == 3, ops
    x = inputs(6, 1)[0]
    want = ort_run(model, x)
    (got,) = sess.run(None, {"x": x})
    # NumPy's QLinearConv computes its ratio in float64: at most one step apart on a near-tie
    step = np.abs(np.diff(np.unique(want))).min()
    assert np.abs(got - want).max() <= step * 1.0001


@pytest.mark.parametrize("index, value, msg", [
    (4, None, "positive and finite"),                       # weight scales, one negative
    (6, np.float32(np.inf), "positive and finite"),         # y scale (the input's is the QuantizeLinear's too)
])
def test_bad_scales_are_model_errors_naming_the_node(models, monkeypatch, index, value, msg):
    model = models["qop_u8"]
    name, node = _conv_input(model, index)
    if value is None:
        m = onnx.load_from_string(model)
        value = numpy_helper.to_array(next(i for i in m.graph.initializer if i.name == name)).copy()
        value[1] = -value[1]
    with pytest.raises(ModelError, match=f"{node}.*QLinearConv.*{msg}"):
        _session(_edit(model, name, value), monkeypatch, "1")


def test_per_axis_weight_scales_of_the_wrong_length_are_a_model_error(models, monkeypatch):
    model = models["qop_u8"]
    (sw, node), (zw, _) = _conv_input(model, 4), _conv_input(model, 5)
    bad = _edit(_edit(model, sw, np.full(5, 0.01, np.float32)), zw, np.zeros(5, np.int8))
    with pytest.raises(ModelError, match=f"{node}.*per-axis"):
        _session(bad, monkeypatch, "1")


ZOO = Path(__file__).resolve().parent.parent / "build" / "zoo"


@pytest.mark.skipif(not (ZOO / "efficientnet_lite0_int8_qop.onnx").exists(),
                    reason="build/zoo lacks the QOperator model: python3 build.py zoo")
def test_zoo_qoperator_efficientnet_runs_every_conv_and_add_as_int8_ops(monkeypatch):
    entry = next(e for e in json.loads((ZOO / "zoo.json").read_text())["models"]
                 if e["key"] == "efficientnet_lite0_int8_qop")
    feeds, ref = np.load(ZOO / entry["feeds"]), np.load(ZOO / entry["ref"])
    sess = _session((ZOO / entry["file"]).read_bytes(), monkeypatch, "1")
    ops = op_counts(sess)
    assert ops["NhwcQS8Conv"] == 49 and ops["QS8Add"] == 9, ops
    assert ops["QLinearConv"] == ops["QLinearAdd"] == 0, ops
    (y,) = sess.run(None, {sess.get_inputs()[0].name: feeds[feeds.files[0]]})
    want = ref[ref.files[0]]
    assert np.abs(y - want).max() <= entry["rtol"] * np.abs(want).max()
    assert y.argmax() == want.argmax()
