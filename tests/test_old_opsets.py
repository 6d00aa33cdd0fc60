"""Old versions of ops, which the ONNX backend node tests (all at recent
opsets) never pick: each model imports an opset old enough that the runtime
resolves the op to that version (checked), and its outputs must match
onnxruntime's, or onnx.reference's where onnxruntime has no implementation
(Pad-1). The version checks keep test_op_coverage honest."""
import numpy as np
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import wasm_infer

RNG = np.random.default_rng(20261203)
X4 = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
X3 = RNG.standard_normal((2, 3, 4)).astype(np.float32)
ELEM = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64}


def _reduce(op):
    x = np.abs(X4) + 0.1 if op == "ReduceLogSum" else X4     # log of a sum of positives
    return (op, 1, 7, helper.make_node(op, ["x"], ["y"], axes=[1, 3], keepdims=0), {"x": x}, {}, ["y"])


CASES = [
    # (op, version it must resolve to, model opset, node, feeds, initializers, outputs)
    ("Clip", 6, 7, helper.make_node("Clip", ["x"], ["y"], min=-0.5, max=0.25), {"x": X4}, {}, ["y"]),
    ("GroupNormalization", 18, 18, helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=3),
     {"x": RNG.standard_normal((2, 6, 3, 3)).astype(np.float32)},
     {"s": np.array([0.5, 1.0, 2.0], np.float32), "b": np.array([0.1, -0.2, 0.3], np.float32)}, ["y"]),
    ("Hardmax", 1, 7, helper.make_node("Hardmax", ["x"], ["y"], axis=1), {"x": X3}, {}, ["y"]),
    ("LogSoftmax", 1, 7, helper.make_node("LogSoftmax", ["x"], ["y"], axis=1), {"x": X3}, {}, ["y"]),
    ("Pad", 1, 1, helper.make_node("Pad", ["x"], ["y"], paddings=[0, 0, 1, 2, 0, 1, 0, 3], value=1.5),
     {"x": X4}, {}, ["y"]),
    ("Pad", 2, 7, helper.make_node("Pad", ["x"], ["y"], pads=[0, 0, 1, 2, 0, 0, 2, 1], mode="edge"),
     {"x": X4}, {}, ["y"]),
    *[_reduce(op) for op in ("ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceProd",
                             "ReduceSum", "ReduceSumSquare")],
    ("Resize", 10, 10, helper.make_node("Resize", ["x", "scales"], ["y"], mode="linear"), {"x": X4},
     {"scales": np.array([1, 1, 2, 1.5], np.float32)}, ["y"]),
    ("RoiAlign", 10, 10, helper.make_node("RoiAlign", ["x", "rois", "idx"], ["y"], output_height=2, output_width=3,
                                         sampling_ratio=2, spatial_scale=0.5),
     {"x": RNG.standard_normal((2, 3, 8, 8)).astype(np.float32)},
     {"rois": np.array([[0, 0, 9, 9], [2, 1, 12, 14], [4, 4, 6, 10]], np.float32),
      "idx": np.array([0, 1, 1], np.int64)}, ["y"]),
    ("Slice", 1, 7, helper.make_node("Slice", ["x"], ["y"], starts=[1, -3], ends=[3, 100], axes=[2, 3]),
     {"x": X4}, {}, ["y"]),
    ("Split", 1, 7, helper.make_node("Split", ["x"], ["a", "b"], axis=3, split=[2, 3]), {"x": X4}, {}, ["a", "b"]),
    ("Squeeze", 1, 7, helper.make_node("Squeeze", ["x"], ["y"], axes=[0, 2]),
     {"x": RNG.standard_normal((1, 3, 1, 5)).astype(np.float32)}, {}, ["y"]),
    ("TopK", 1, 7, helper.make_node("TopK", ["x"], ["v", "i"], k=2, axis=2), {"x": X4}, {}, ["v", "i"]),
    ("Upsample", 7, 7, helper.make_node("Upsample", ["x"], ["y"], scales=[1.0, 1.0, 2.0, 3.0], mode="nearest"),
     {"x": X4}, {}, ["y"]),
]


def _model(node, feeds, inits, outputs, opset):
    graph = helper.make_graph(
        [node], "old_opset",
        [helper.make_tensor_value_info(n, ELEM[v.dtype], v.shape) for n, v in feeds.items()],
        [helper.make_tensor_value_info(n, TensorProto.INT64 if node.op_type == "TopK" and n == "i" else
                                       TensorProto.FLOAT, None) for n in outputs],
        [numpy_helper.from_array(v, n) for n, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 3 if opset < 7 else 7
    return model


def _expected(model, feeds):
    if model.opset_import[0].version < 7:      # below what onnxruntime implements
        return ReferenceEvaluator(model).run(None, feeds)
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    return onnxruntime.InferenceSession(model.SerializeToString(), options,
                                        providers=["CPUExecutionProvider"]).run(None, feeds)


@pytest.mark.parametrize("op, since, opset, node, feeds, inits, outputs", CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_old_version_matches_reference(op, since, opset, node, feeds, inits, outputs):
    model = _model(node, feeds, inits, outputs, opset)
    sess = wasm_infer.InferenceSession(model.SerializeToString(), backend="numpy")
    assert [(o.op_type, o.since) for o, _, _ in sess._steps] == [(op, since)]
    got = sess.run(None, feeds)
    for name, g, e in zip(outputs, got, _expected(model, feeds)):
        assert g.shape == e.shape and g.dtype == e.dtype, f"{name}: {g.shape} {g.dtype}, expected {e.shape} {e.dtype}"
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6, err_msg=name)
