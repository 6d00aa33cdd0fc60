"""Dynamic quantization (onnxruntime's quantize_dynamic), natively: the
fuse_dynamic_quant_matmul pass and the DynamicQuantMatMul reference against
the unfused chain (bit for bit) and against onnxruntime running the same
unfused graph, what the pass leaves alone, bad zero points, and the zoo's
int8 MiniLM. The kernels are tested inside Pyodide
(tests/node/dynamic_quant.test.mjs)."""
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import wasm_infer
from tools import ort_reference
from wasm_infer.errors import ModelError

from helpers import FLOAT, make_model, op_counts, pass_session

ZOO = Path(__file__).resolve().parent.parent / "build" / "zoo"
PASS = "fuse_dynamic_quant_matmul"
rng = np.random.default_rng(14)


def chain(k=19, n=13, w_dtype=np.int8, per_column=False, bias=True, bias_first=True, scale_first=True,
          w_zero=None, heads=1, out_rank=3):
    """x -> DynamicQuantizeLinear -> `heads` x (MatMulInteger -> Cast -> Mul(Mul(scales)) -> Add(bias)),
    as quantize_dynamic writes it (its order of operands unless told otherwise)."""
    lo, hi = (-128, 127) if w_dtype == np.int8 else (0, 255)
    nodes = [helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"], name="dq")]
    inits, outs = {}, []
    for h in range(heads):
        inits[f"w{h}"] = rng.integers(lo, hi + 1, (k, n)).astype(w_dtype)
        shape = (n,) if per_column else ()
        inits[f"ws{h}"] = rng.uniform(0.001, 0.05, shape).astype(np.float32)
        zp = rng.integers(lo, hi + 1, shape) if w_zero is None else np.full(shape, w_zero)
        inits[f"wz{h}"] = zp.astype(w_dtype)
        nodes += [
            helper.make_node("MatMulInteger", ["xq", f"w{h}", "xz", f"wz{h}"], [f"mi{h}"], name=f"matmul{h}"),
            helper.make_node("Cast", [f"mi{h}"], [f"c{h}"], to=TensorProto.FLOAT, name=f"cast{h}"),
            helper.make_node("Mul", ["xs", f"ws{h}"] if scale_first else [f"ws{h}", "xs"], [f"s{h}"], name=f"sm{h}"),
            helper.make_node("Mul", [f"c{h}", f"s{h}"], [f"m{h}" if bias else f"y{h}"], name=f"mul{h}")]
        if bias:
            inits[f"b{h}"] = rng.standard_normal(n).astype(np.float32)
            nodes.append(helper.make_node("Add", [f"b{h}", f"m{h}"] if bias_first else [f"m{h}", f"b{h}"],
                                          [f"y{h}"], name=f"add{h}"))
        outs.append((f"y{h}", FLOAT, None))
    in_shape = [2, 5, k] if out_rank == 3 else [k]
    return make_model(nodes, [("x", FLOAT, in_shape)], outs, inits)


def _ort(model, feeds):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL   # the unfused chain itself
    return ort_reference.session(model, so).run(None, feeds)


def check(model, x, monkeypatch, fused=True):
    """Fused and unfused outputs equal bit for bit, and equal to onnxruntime's run of the graph."""
    on = pass_session(model, monkeypatch)
    off = pass_session(model, monkeypatch, [PASS])
    assert op_counts(off)["MatMulInteger"] > 0
    if fused:
        assert op_counts(on)["MatMulInteger"] == 0 and op_counts(on)["DynamicQuantMatMul"] == op_counts(off)["MatMulInteger"]
        assert op_counts(on)["Cast"] == 0
    else:
        assert op_counts(on)["DynamicQuantMatMul"] == 0
    feeds = {"x": x}
    got, want, ref = on.run(None, feeds), off.run(None, feeds), _ort(model, feeds)
    for g, w, r in zip(got, want, ref):
        assert g.dtype == w.dtype == np.float32 and g.shape == w.shape == r.shape
        assert g.tobytes() == w.tobytes(), f"fused vs unfused: max diff {np.abs(g - w).max()}"
        assert np.array_equal(g, r), f"vs onnxruntime: max diff {np.abs(g - r).max()}"
    return got


def _x(shape, lo=-3.0, hi=3.0):
    return rng.uniform(lo, hi, shape).astype(np.float32)


@pytest.mark.parametrize("w_dtype", [np.int8, np.uint8])
@pytest.mark.parametrize("per_column", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_fused_equals_unfused(monkeypatch, w_dtype, per_column, bias):
    check(chain(w_dtype=w_dtype, per_column=per_column, bias=bias), _x((2, 5, 19)), monkeypatch)


@pytest.mark.parametrize("k", [1, 7, 8, 9, 16, 23, 64, 385])
def test_k_around_the_tile(monkeypatch, k):
    check(chain(k=k, n=9), _x((2, 5, k)), monkeypatch)


def test_operand_orders_and_shared_quantization(monkeypatch):
    """Add(m, bias) and Mul(w_scale, x_scale) as well; one DynamicQuantizeLinear read by three MatMulIntegers
    (the Q, K and V projections): each fuses, the quantization stays one node."""
    model = chain(bias_first=False, scale_first=False, heads=3)
    check(model, _x((2, 5, 19)), monkeypatch)
    assert op_counts(pass_session(model, monkeypatch))["DynamicQuantizeLinear"] == 1


def test_one_dimensional_input(monkeypatch):
    check(chain(out_rank=1, per_column=True), _x((19,)), monkeypatch)


@pytest.mark.parametrize("x", [
    np.zeros((2, 5, 19), np.float32),                       # all equal, zero: scale 1/255, zero point 0
    np.full((2, 5, 19), 2.5, np.float32),                   # all equal, positive: zero point 0
    np.full((2, 5, 19), -0.75, np.float32),                 # all equal, negative: zero point 255
    np.linspace(-1.0, 0.0, 190, dtype=np.float32).reshape(2, 5, 19),
    np.linspace(0.0, 3.0, 190, dtype=np.float32).reshape(2, 5, 19),
    np.where(np.arange(190) % 2, 1e30, -1e30).astype(np.float32).reshape(2, 5, 19),
], ids=["zeros", "positive", "negative", "nonpositive", "nonnegative", "huge"])
def test_activation_edges(monkeypatch, x):
    check(chain(), x, monkeypatch)


@pytest.mark.parametrize("w_dtype,w_zero", [(np.int8, -128), (np.int8, 127), (np.uint8, 0), (np.uint8, 255)])
def test_weight_zero_point_extremes(monkeypatch, w_dtype, w_zero):
    check(chain(w_dtype=w_dtype, w_zero=w_zero, per_column=True), _x((2, 5, 19)), monkeypatch)


def _nodes_of(model):
    return onnx.load_from_string(model)


def test_left_alone(monkeypatch):
    """An intermediate value that is a graph output, a scale not from the DynamicQuantizeLinear,
    weights that are not constant: no fusion, same results."""
    m = _nodes_of(chain())
    m.graph.output.append(helper.make_tensor_value_info("c0", FLOAT, None))      # the Cast's output
    check(m.SerializeToString(), _x((2, 5, 19)), monkeypatch, fused=False)

    m = _nodes_of(chain())
    for node in m.graph.node:
        if node.name == "sm0":
            node.input[0] = "ws0"                                              # ws0 * ws0
    check(m.SerializeToString(), _x((2, 5, 19)), monkeypatch, fused=False)

    m = _nodes_of(chain())
    w = next(i for i in m.graph.initializer if i.name == "w0")
    m.graph.initializer.remove(w)
    m.graph.input.append(helper.make_tensor_value_info("w0", TensorProto.INT8, [19, 13]))
    model = m.SerializeToString()
    on = pass_session(model, monkeypatch)
    assert op_counts(on)["DynamicQuantMatMul"] == 0
    wv = rng.integers(-128, 128, (19, 13)).astype(np.int8)
    feeds = {"x": _x((2, 5, 19)), "w0": wv}
    assert on.run(None, feeds)[0].tobytes() == _ort(model, feeds)[0].tobytes()


def test_bad_zero_points(monkeypatch):
    m = _nodes_of(chain())
    zp = next(i for i in m.graph.initializer if i.name == "wz0")
    zp.data_type = TensorProto.UINT8                                           # b is int8
    with pytest.raises(ModelError, match="matmul0.*b_zero_point 'wz0' is uint8, b 'w0' is int8"):
        pass_session(m.SerializeToString(), monkeypatch)

    m = _nodes_of(chain())
    zp = next(i for i in m.graph.initializer if i.name == "wz0")
    m.graph.initializer.remove(zp)
    m.graph.initializer.append(helper.make_tensor("wz0", TensorProto.INT8, [5], [0, 1, 2, 3, 4]))
    with pytest.raises(ModelError, match="matmul0.*b_zero_point 'wz0' has shape \\[5\\], b has 13 columns"):
        pass_session(m.SerializeToString(), monkeypatch)


@pytest.mark.skipif(not (ZOO / "minilm_l6_v2_int8.onnx").exists(), reason="build/zoo not prepared")
def test_zoo_minilm_int8(monkeypatch):
    """Every MatMulInteger of the quantized MiniLM fuses, and the outputs are the unfused graph's, bit for bit."""
    model = (ZOO / "minilm_l6_v2_int8.onnx").read_bytes()
    feeds = dict(np.load(ZOO / "minilm_l6_v2_int8.feeds.npz"))
    on, off = pass_session(model, monkeypatch), pass_session(model, monkeypatch, [PASS])
    assert op_counts(off)["MatMulInteger"] == 37
    assert op_counts(on)["MatMulInteger"] == 0 and op_counts(on)["DynamicQuantMatMul"] == 37
    names = [i.name for i in on.get_inputs()]
    feeds = {n: feeds[f"in{i}"] for i, n in enumerate(names)}
    for g, w in zip(on.run(None, feeds), off.run(None, feeds)):
        assert g.tobytes() == w.tobytes()
