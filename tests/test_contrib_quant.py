"""The com.microsoft quantized ops onnxruntime's quantizer writes (QLinearAdd,
QLinearMul, QLinearGlobalAveragePool, QGemm, MatMulIntegerToFloat,
DynamicQuantizeMatMul, DynamicQuantizeLSTM): their NumPy references against
onnxruntime on crafted one-node graphs, the bad constant quantization
parameters they refuse at load, and the zoo's models that use them. The
zoo models run inside Pyodide in tests/node/zoo.test.mjs."""
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import wasm_infer
from tools import ort_reference
from wasm_infer.errors import ModelError

MS = "com.microsoft"
ZOO = Path(__file__).resolve().parent.parent / "build" / "zoo"
rng = np.random.default_rng(1414)
T = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.uint8): TensorProto.UINT8,
     np.dtype(np.int8): TensorProto.INT8, np.dtype(np.int32): TensorProto.INT32}

TEST_TIMEOUT_S = 120   # per test (tests/conftest.py)


def one_node(op, inputs, consts, out=TensorProto.FLOAT, **attrs):
    """A model of one com.microsoft node: `inputs` {name: array} are graph
    inputs, `consts` {name: array} initializers; input order is the dicts'
    (None: an absent optional input)."""
    names = [k if v is not None else "" for k, v in {**inputs, **consts}.items()]
    node = helper.make_node(op, names, ["y0"], name=f"the_{op}", domain=MS, **attrs)
    graph = helper.make_graph(
        [node], "contrib",
        [helper.make_tensor_value_info(k, T[v.dtype], list(v.shape)) for k, v in inputs.items()],
        [helper.make_tensor_value_info("y0", out, None)],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items() if v is not None])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)])
    m.ir_version = 8
    return m.SerializeToString()


def both(model, feeds):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    # One thread: with more, its LSTM splits a batch between threads and quantizes each part apart.
    options.intra_op_num_threads = 1
    ref = ort_reference.session(model, options).run(None, feeds)
    ours = wasm_infer.InferenceSession(model).run(None, feeds)
    return ours, ref


def q(shape, dtype):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, shape).astype(dtype)


# ---- QLinearAdd / QLinearMul ------------------------------------------------------------

@pytest.fixture(params=["op", "fused"])
def qlinear_add_path(request, monkeypatch):
    """QLinearAdd runs as the internal QS8Add (fuse_qlinear) in a session;
    with that pass off, the com.microsoft op itself runs. Both are checked."""
    if request.param == "op":
        monkeypatch.setenv("WASM_INFER_DISABLE_PASSES", "fuse_qlinear")
    return request.param


@pytest.mark.parametrize("op", ["QLinearAdd", "QLinearMul"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
def test_qlinear_binary_every_pair_of_values(op, dtype, qlinear_add_path):
    """All 65,536 pairs of 8-bit values: the result and its saturation at both
    ends of the type agree with onnxruntime, up to one step at a few near-ties
    (its x86 QLinearAdd computes in fixed point, ours in float32 as its
    portable code does)."""
    values = np.arange(256, dtype=np.uint8).view(dtype)
    feeds = {"a": np.repeat(values[:, None], 256, axis=1), "b": np.repeat(values[None, :], 256, axis=0)}
    scales = (0.031, 0.047, 0.02) if op == "QLinearAdd" else (0.031, 0.047, 0.004)   # both ends saturate
    (ours,), (ref,) = both(_binary_model(op, dtype, scales, [256, 256]), feeds)
    assert ours.dtype == ref.dtype == dtype
    diff = np.abs(ours.astype(int) - ref.astype(int))
    assert diff.max() <= 1
    # Where they differ, the exact value (float64) lies within 1e-3 of a tie.
    za, zb = 3, (-5 if dtype == np.int8 else 250)
    a, b = feeds["a"].astype(np.float64) - za, feeds["b"].astype(np.float64) - zb
    sa, sb, sc = scales
    exact = (a * sa + b * sb) / sc if op == "QLinearAdd" else a * b * sa * sb / sc
    near_tie = np.abs(np.abs(exact - np.floor(exact)) - 0.5) < 1e-3
    assert not np.any(diff.astype(bool) & ~near_tie), np.argwhere(diff.astype(bool) & ~near_tie)[:5]
    info = np.iinfo(dtype)
    assert ours.min() == info.min and ours.max() == info.max       # both ends saturate


@pytest.mark.parametrize("op", ["QLinearAdd", "QLinearMul"])
def test_qlinear_binary_broadcasts(op, qlinear_add_path):
    """B [C, 1, 1] against A [1, C, H, W], as the quantizer writes a per-channel Mul/Add."""
    feeds = {"a": q((1, 8, 5, 6), np.uint8), "b": q((8, 1, 1), np.uint8)}
    model = _binary_model(op, np.uint8, (0.02, 0.03, 0.04 if op == "QLinearAdd" else 0.3), None)
    (ours,), (ref,) = both(model, feeds)
    assert ours.shape == ref.shape == (1, 8, 5, 6)
    assert np.abs(ours.astype(int) - ref.astype(int)).max() <= 1


def _binary_model(op, dtype, scales, shape):
    consts = {"sa": np.float32(scales[0]), "za": np.array(3, dtype), "sb": np.float32(scales[1]),
              "zb": np.array(-5 if dtype == np.int8 else 250, dtype), "sc": np.float32(scales[2]),
              "zc": np.array(7, dtype)}
    node = helper.make_node(op, ["a", "sa", "za", "b", "sb", "zb", "sc", "zc"], ["y0"], name=f"the_{op}", domain=MS)
    graph = helper.make_graph(
        [node], "contrib",
        [helper.make_tensor_value_info(k, T[np.dtype(dtype)], shape) for k in ("a", "b")],
        [helper.make_tensor_value_info("y0", T[np.dtype(dtype)], None)],
        [numpy_helper.from_array(v, k) for k, v in consts.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)])
    m.ir_version = 8
    return m.SerializeToString()


# ---- QLinearGlobalAveragePool, QGemm ----------------------------------------------------

@pytest.mark.parametrize("channels_last", [0, 1])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
def test_qlinear_global_average_pool(channels_last, dtype):
    x = q((2, 7, 9, 16) if channels_last else (2, 16, 7, 9), dtype)
    consts = {"sx": np.float32(0.05), "zx": np.array(5, dtype), "sy": np.float32(0.011),
              "zy": np.array(-9 if dtype == np.int8 else 119, dtype)}
    (ours,), (ref,) = both(one_node("QLinearGlobalAveragePool", {"x": x}, consts, T[np.dtype(dtype)],
                                      channels_last=channels_last), {"x": x})
    assert ours.dtype == ref.dtype and ours.shape == ref.shape
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("trans_b, per_column, requant", [(1, True, True), (0, False, True), (1, True, False),
                                                          (0, True, False)])
def test_qgemm(trans_b, per_column, requant):
    """The classifier of the QOperator EfficientNet (transB, per-column int8
    weights, int32 bias, uint8 output), and the float-output form."""
    m, k, n = 3, 40, 24
    a = q((m, k), np.uint8)
    b = q((n, k) if trans_b else (k, n), np.int8)
    consts = {"sa": np.float32(0.03), "za": np.array(121, np.uint8), "b": b,
              "sb": rng.uniform(0.001, 0.01, n).astype(np.float32) if per_column else np.float32(0.004),
              "zb": np.zeros(n if per_column else (), np.int8), "c": rng.integers(-5000, 5000, n).astype(np.int32)}
    if requant:
        consts.update(sy=np.float32(0.08), zy=np.array(110, np.uint8))
    (ours,), (ref,) = both(one_node("QGemm", {"a": a}, consts, TensorProto.UINT8 if requant else TensorProto.FLOAT,
                                      transB=trans_b, alpha=0.75), {"a": a})
    assert ours.dtype == ref.dtype == (np.uint8 if requant else np.float32)
    if requant:
        np.testing.assert_array_equal(ours, ref)
    else:
        np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-6 * np.abs(ref).max())


# ---- MatMulIntegerToFloat, DynamicQuantizeMatMul ----------------------------------------

@pytest.mark.parametrize("per_column, bias, b_type", [(True, True, np.int8), (False, False, np.int8),
                                                       (True, False, np.uint8)])
def test_matmul_integer_to_float(per_column, bias, b_type):
    a = q((2, 5, 64), np.uint8)
    n = 48
    consts = {"b": q((64, n), b_type), "sa": np.float32(0.02),
              "sb": rng.uniform(0.001, 0.01, n).astype(np.float32) if per_column else np.float32(0.005),
              "za": np.array(133, np.uint8),
              "zb": q((n,) if per_column else (), b_type),
              "bias": rng.standard_normal(n).astype(np.float32) if bias else None}
    (ours,), (ref,) = both(one_node("MatMulIntegerToFloat", {"a": a}, consts), {"a": a})
    assert ours.dtype == np.float32 and ours.shape == ref.shape == (2, 5, n)
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-6 * np.abs(ref).max())


@pytest.mark.parametrize("per_column, bias", [(True, True), (False, False)])
def test_dynamic_quantize_matmul(per_column, bias):
    """A float32 A quantized as DynamicQuantizeLinear does (range widened to
    hold 0, uint8), so the same uint8 values as onnxruntime's: float results
    to float32 rounding."""
    a = (rng.standard_normal((4, 33, 96)) * 3 + 1).astype(np.float32)
    n = 40
    consts = {"b": q((96, n), np.int8),
              "sb": rng.uniform(0.001, 0.01, n).astype(np.float32) if per_column else np.float32(0.005),
              "zb": np.zeros(n if per_column else (), np.int8),
              "bias": rng.standard_normal(n).astype(np.float32) if bias else None}
    (ours,), (ref,) = both(one_node("DynamicQuantizeMatMul", {"a": a}, consts), {"a": a})
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-6 * np.abs(ref).max())


# ---- DynamicQuantizeLSTM ------------------------------------------------------------------

def lstm_model(direction="forward", per_channel=False, hidden=16, inp=12, w_type=np.int8, peepholes=False,
               batch=3, as_inputs=()):
    dirs = 2 if direction == "bidirectional" else 1
    h4 = 4 * hidden
    lengths = (dirs, h4) if per_channel else (dirs,)
    consts = {"W": q((dirs, inp, h4), w_type), "R": q((dirs, hidden, h4), w_type),
              "B": (rng.standard_normal((dirs, 2 * h4)) * 0.1).astype(np.float32),
              "P": (rng.standard_normal((dirs, 3 * hidden)) * 0.1).astype(np.float32) if peepholes else None,
              "W_scale": rng.uniform(0.002, 0.02, lengths).astype(np.float32),
              "W_zero_point": q(lengths, w_type) if w_type == np.uint8 else np.zeros(lengths, np.int8),
              "R_scale": rng.uniform(0.002, 0.02, lengths).astype(np.float32),
              "R_zero_point": q(lengths, w_type) if w_type == np.uint8 else np.zeros(lengths, np.int8)}
    inputs = {"X": (rng.standard_normal((7, batch, inp)) * 2).astype(np.float32)}
    order = ["X", "W", "R", "B", "", "initial_h", "initial_c", "P" if peepholes else "",
             "W_scale", "W_zero_point", "R_scale", "R_zero_point"]
    inputs["initial_h"] = (rng.standard_normal((dirs, batch, hidden)) * 0.5).astype(np.float32)
    inputs["initial_c"] = (rng.standard_normal((dirs, batch, hidden)) * 0.5).astype(np.float32)
    consts = {k: v for k, v in consts.items() if v is not None}
    inputs.update({k: consts.pop(k) for k in as_inputs})      # known only when it runs
    node = helper.make_node("DynamicQuantizeLSTM", order, ["Y", "Y_h", "Y_c"], name="the_lstm", domain=MS,
                            hidden_size=hidden, direction=direction)
    graph = helper.make_graph(
        [node], "lstm",
        [helper.make_tensor_value_info(k, T[v.dtype], list(v.shape)) for k, v in inputs.items()],
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, None) for k in ("Y", "Y_h", "Y_c")],
        [numpy_helper.from_array(v, k) for k, v in consts.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)])
    m.ir_version = 8
    return m.SerializeToString(), inputs


@pytest.mark.parametrize("kw", [{}, {"direction": "reverse"}, {"direction": "bidirectional"},
                                {"per_channel": True}, {"w_type": np.uint8}, {"peepholes": True},
                                {"batch": 1}, {"as_inputs": ("W", "R_zero_point")}])
def test_dynamic_quantize_lstm(kw):
    """Same operand quantization as onnxruntime (the input sequence at once,
    the batch's hidden state at each step), so its outputs to float32 rounding."""
    model, feeds = lstm_model(**kw)
    ours, ref = both(model, feeds)
    for y, r in zip(ours, ref):
        assert y.shape == r.shape
        np.testing.assert_allclose(y, r, rtol=0, atol=2e-5 * np.abs(r).max())


# ---- bad quantization parameters: ModelError at load, naming the node --------------------

BAD = [
    ("QLinearAdd", {"sa": np.float32(0)}, "scale must be positive"),
    ("QLinearAdd", {"sc": np.float32(-0.5)}, "scale must be positive"),
    ("QLinearAdd", {"zb": np.array(3, np.int8)}, "is int8, the quantized data"),
    ("QGemm", {"sb": np.full(5, 0.01, np.float32)}, "has 5 values, expected 1 or 24"),
    ("QGemm", {"sy": np.float32(np.nan)}, "scale must be positive"),
    ("MatMulIntegerToFloat", {"sb": np.full(7, 0.01, np.float32)}, "has 7 values, expected 1 or 48"),
    ("DynamicQuantizeLSTM", {"W_scale": np.zeros(1, np.float32)}, "W_scale must be positive"),
    ("DynamicQuantizeLSTM", {"R_zero_point": np.zeros(3, np.int8)}, "has 3 values, expected 1 or 64"),
    ("QLinearGlobalAveragePool", {"zy": np.array(300, np.int32)}, "uint8 or int8 expected"),
]


def _bad_model(op, change):
    if op == "DynamicQuantizeLSTM":
        import onnx
        model, _ = lstm_model()
        m = onnx.load_from_string(model)
        for init in m.graph.initializer:
            if init.name in change:
                init.CopyFrom(numpy_helper.from_array(change[init.name], init.name))
        return m.SerializeToString()
    a = q((2, 8), np.uint8)
    if op == "QLinearAdd":
        consts = {"sa": np.float32(0.1), "za": np.array(1, np.uint8), "b": q((2, 8), np.uint8),
                  "sb": np.float32(0.1), "zb": np.array(1, np.uint8), "sc": np.float32(0.1),
                  "zc": np.array(1, np.uint8)}
    elif op == "QGemm":
        consts = {"sa": np.float32(0.1), "za": np.array(1, np.uint8), "b": q((8, 24), np.int8),
                  "sb": np.float32(0.1), "zb": np.array(0, np.int8), "c": None,
                  "sy": np.float32(0.1), "zy": np.array(1, np.uint8)}
    elif op == "MatMulIntegerToFloat":
        consts = {"b": q((8, 48), np.int8), "sa": np.float32(0.1), "sb": np.float32(0.1)}
    else:
        a = q((1, 2, 3, 3), np.uint8)
        consts = {"sx": np.float32(0.1), "zx": np.array(1, np.uint8), "sy": np.float32(0.1),
                  "zy": np.array(1, np.uint8)}
    consts.update(change)
    return one_node(op, {"a": a}, consts)


@pytest.mark.parametrize("op, change, message", BAD, ids=[f"{b[0]}-{next(iter(b[1]))}" for b in BAD])
def test_bad_quantization_parameters_fail_at_load(op, change, message, qlinear_add_path):
    with pytest.raises(ModelError) as err:
        wasm_infer.InferenceSession(_bad_model(op, change))
    assert message in str(err.value) and "the_" in str(err.value), str(err.value)


# ---- the zoo's models, natively ----------------------------------------------------------

def _zoo_entry(key):
    path = ZOO / "zoo.json"
    entries = {e["key"]: e for e in json.loads(path.read_text())["models"]} if path.exists() else {}
    if key not in entries:
        pytest.skip("build/zoo is missing or old: run `python3 build.py zoo`")
    return entries[key]


@pytest.mark.parametrize("key, op", [("efficientnet_lite0_int8_qop", "QLinearGlobalAveragePool"),
                                     ("silero_vad_lstm_int8", "DynamicQuantizeLSTM")])
def test_zoo_model_matches_onnxruntime(key, op):
    """The zoo's QOperator EfficientNet and quantized LSTM, natively: their
    com.microsoft ops are in the model and the outputs are within the entry's tolerance."""
    import onnx
    from tools.zoo import relative_errors
    e = _zoo_entry(key)
    assert any(n.domain == MS and n.op_type == op for n in onnx.load(str(ZOO / e["file"])).graph.node)
    f, r = np.load(ZOO / e["feeds"]), np.load(ZOO / e["ref"])
    feeds = {i["name"]: f[f"in{k}"] for k, i in enumerate(e["inputs"])}
    outs = wasm_infer.InferenceSession(str(ZOO / e["file"])).run(None, feeds)
    errs = relative_errors(outs, [r[f"out{k}"] for k in range(len(e["outputs"]))])
    assert max(errs) <= e["rtol"], (errs, e["rtol"])


def test_zoo_lstm_is_silero_vads():
    """The LSTM tools/zoo_quant.py takes out of Silero VAD, before quantization,
    run over the encoder features it takes out likewise, ends in the state the
    whole VAD returns after the same chunks: the weights and features are the VAD's."""
    from tools import zoo, zoo_quant
    _zoo_entry("silero_vad_lstm_int8")
    vad = ZOO / "silero_vad.onnx"
    chunks = zoo._vad_chunks(zoo_quant.LSTM_FIRST_CHUNK + zoo_quant.LSTM_STEPS)
    x, h0, c0 = zoo_quant.vad_lstm_feeds(vad, chunks, zoo.VAD_RATE)
    lstm = ort.InferenceSession(zoo_quant.vad_lstm_float(vad).SerializeToString(), providers=["CPUExecutionProvider"])
    _, y_h, y_c = lstm.run(None, {"X": x, "initial_h": h0, "initial_c": c0})
    full = ort.InferenceSession(str(vad), providers=["CPUExecutionProvider"])
    state = np.zeros((2, 1, 128), np.float32)
    for chunk in chunks:
        _, state = full.run(None, {"input": chunk, "state": state, "sr": np.array(zoo.VAD_RATE, np.int64)})
    np.testing.assert_allclose(y_h, state[0:1], rtol=0, atol=1e-6)
    np.testing.assert_allclose(y_c, state[1:2], rtol=0, atol=1e-6)
