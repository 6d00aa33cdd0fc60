"""The QGemm lowering (wasm_infer/lowering/qgemm.py) natively: without wasm
kernels the NumPy op computes the node, and the kernel entry declines, with
its reason, whatever it cannot compute byte-exact (a B or scale that is not
constant, transA, int8 A). The kernel path itself runs in Pyodide:
tests/node/qgemm.test.mjs."""

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import wasm_infer
from wasm_infer import kernels, lowering

MS = "com.microsoft"
U8 = np.dtype(np.uint8)
rng = np.random.default_rng(1415)

TEST_TIMEOUT_S = 60   # per test (tests/conftest.py)


def _model(graph_inputs=("a",), trans_a=0, m=3, k=16, n=8):
    """QGemm with per-column int8 B, int32 C and a quantized output; the names in
    `graph_inputs` are graph inputs instead of initializers."""
    vals = {"a": rng.integers(0, 256, (k, m) if trans_a else (m, k)).astype(np.uint8),
            "sa": np.float32(0.02), "za": np.array(120, np.uint8),
            "b": rng.integers(-128, 128, (k, n)).astype(np.int8),
            "sb": rng.uniform(0.001, 0.01, n).astype(np.float32), "zb": np.zeros(n, np.int8),
            "c": rng.integers(-500, 500, n).astype(np.int32), "sy": np.float32(0.05), "zy": np.array(100, np.uint8)}
    if "b" in graph_inputs:          # the op checks per-column parameters against a constant B only
        vals.update(sb=np.float32(0.004), zb=np.array(0, np.int8))
    node = helper.make_node("QGemm", list(vals), ["y"], name="q", domain=MS, transA=trans_a)
    t = {np.dtype(np.float32): TensorProto.FLOAT, U8: TensorProto.UINT8, np.dtype(np.int8): TensorProto.INT8,
         np.dtype(np.int32): TensorProto.INT32}
    graph = helper.make_graph(
        [node], "qgemm",
        [helper.make_tensor_value_info(x, t[np.asarray(vals[x]).dtype], list(np.shape(vals[x]))) for x in graph_inputs],
        [helper.make_tensor_value_info("y", TensorProto.UINT8, None)],
        [numpy_helper.from_array(np.asarray(v), x) for x, v in vals.items() if x not in graph_inputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)])
    model.ir_version = 8
    return model.SerializeToString(), vals


def _op_and_specs(model, vals):
    sess = wasm_infer.InferenceSession(model)
    op = next(op for op, _, _ in sess._runner.steps if op.op_type == "QGemm")
    specs = [(np.shape(vals[x]), np.asarray(vals[x]).dtype) for x in vals]
    return sess, op, specs


def test_numpy_backend_says_no_kernels_and_runs_the_op():
    model, vals = _model()
    sess, op, specs = _op_and_specs(model, vals)
    found = lowering.lower(op, specs, None, numpy_out=False)
    assert not found and "qu8 gemm: no wasm kernels" in found.reason
    (y,) = sess.run(None, {"a": vals["a"]})
    assert y.dtype == U8 and y.shape == (3, 8)


def test_kernel_entry_applies_to_constant_parameters():
    # packing is NumPy: the entry's decision and output spec can be checked natively
    model, vals = _model()
    _, op, specs = _op_and_specs(model, vals)
    found = lowering.lower(op, specs, kernels, numpy_out=False)
    assert found and found.outputs == [((3, 8), U8)]
    assert found.name.startswith("qu8s8_gemm_4x8c2_i32__wasmsimd")


@pytest.mark.parametrize("inputs, reason", [(("a", "b"), "needs a constant input 3 ('b')"),
                                            (("a", "sb"), "needs a constant input 4 ('sb')"),
                                            (("a", "c"), "needs a constant input 6 ('c')"),
                                            (("a", "sy"), "needs a constant input 7 ('sy')")])
def test_declines_inputs_that_are_not_constant(inputs, reason):
    model, vals = _model(inputs)
    sess, op, specs = _op_and_specs(model, vals)
    found = lowering.lower(op, specs, kernels, numpy_out=False)
    assert not found and reason in found.reason
    feeds = {x: np.asarray(vals[x]) for x in inputs}
    (y,) = sess.run(None, feeds)                     # the NumPy op still computes it
    assert y.shape == (3, 8)


def test_declines_trans_a_and_int8_a():
    model, vals = _model(trans_a=1)
    _, op, specs = _op_and_specs(model, vals)
    found = lowering.lower(op, specs, kernels, numpy_out=False)
    assert not found and "transA" in found.reason
    model, vals = _model()
    _, op, specs = _op_and_specs(model, vals)
    specs[0] = (specs[0][0], np.dtype(np.int8))
    found = lowering.lower(op, specs, kernels, numpy_out=False)
    assert not found and "needs a uint8 A" in found.reason


# ---- QLinearGlobalAveragePool (wasm_infer/lowering/qlinear_pool.py) --------------------

def _pool(channels_last=0, dtype=np.uint8, graph_inputs=("x",)):
    info = np.iinfo(dtype)
    vals = {"x": rng.integers(info.min, info.max + 1, (1, 6, 3, 3)).astype(dtype), "sx": np.float32(0.05),
            "zx": np.array(3, dtype), "sy": np.float32(0.02), "zy": np.array(5, dtype)}
    node = helper.make_node("QLinearGlobalAveragePool", list(vals), ["y"], name="p", domain=MS,
                            channels_last=channels_last)
    t = {np.dtype(np.float32): TensorProto.FLOAT, U8: TensorProto.UINT8, np.dtype(np.int8): TensorProto.INT8}
    graph = helper.make_graph(
        [node], "pool",
        [helper.make_tensor_value_info(x, t[np.asarray(vals[x]).dtype], list(np.shape(vals[x]))) for x in graph_inputs],
        [helper.make_tensor_value_info("y", t[np.dtype(dtype)], None)],
        [numpy_helper.from_array(np.asarray(v), x) for x, v in vals.items() if x not in graph_inputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)])
    model.ir_version = 8
    sess = wasm_infer.InferenceSession(model.SerializeToString())
    op = next(op for op, _, _ in sess._runner.steps if op.op_type == "QLinearGlobalAveragePool")
    return op, [(np.shape(vals[x]), np.asarray(vals[x]).dtype) for x in vals]


def test_pool_applies_to_nchw_uint8_and_declines_the_rest():
    op, specs = _pool()
    assert not lowering.lower(op, specs, None, numpy_out=False)
    found = lowering.lower(op, specs, kernels, numpy_out=False)
    assert found and found.outputs == [((1, 6, 1, 1), U8)]
    for kw, reason in ((dict(channels_last=1), "channels_last"), (dict(dtype=np.int8), "needs a non-empty uint8 X"),
                       (dict(graph_inputs=("x", "sy")), "needs constant x_scale, y_scale")):
        op, specs = _pool(**kw)
        found = lowering.lower(op, specs, kernels, numpy_out=False)
        assert not found and reason in found.reason, (kw, found.reason)
