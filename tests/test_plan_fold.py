"""The memory plan computes static values itself when the recording run did
not keep them (larger than RECORD_VALUE_BYTES): an If branch slicing and
concatenating an outer initializer (an exported LSTM's gate reordering) does
that once, at plan time, and its steps keep only the work on the inputs."""
import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper

import wasm_infer
from wasm_infer import plan as planning

from helpers import FLOAT, make_model


def _branch_model(rows=512, cols=128):
    ints = lambda name, v: helper.make_tensor(name, TensorProto.INT64, [len(v)], v)   # noqa: E731
    then = helper.make_graph(
        [helper.make_node("Slice", ["w", "s0", "e0"], ["a"]), helper.make_node("Slice", ["w", "s1", "e1"], ["b"]),
         helper.make_node("Concat", ["b", "a"], ["c"], axis=0), helper.make_node("Add", ["x", "c"], ["t"])],
        "then", [], [helper.make_tensor_value_info("t", FLOAT, None)],
        [ints("s0", [0]), ints("e0", [rows // 4]), ints("s1", [rows // 4]), ints("e1", [rows])])
    other = helper.make_graph([helper.make_node("Neg", ["x"], ["t2"])], "else", [],
                              [helper.make_tensor_value_info("t2", FLOAT, None)])
    node = helper.make_node("If", ["cond"], ["y"], then_branch=then, else_branch=other)
    w = np.random.default_rng(0).standard_normal((rows, cols)).astype(np.float32)
    return make_model([node], [("cond", TensorProto.BOOL, []), ("x", FLOAT, [rows, cols])], [("y", FLOAT, None)],
                      {"w": w}), w


def test_branch_folds_large_static_values():
    model, w = _branch_model()
    assert (w.nbytes * 3) // 4 > planning.RECORD_VALUE_BYTES     # the slice is too large for the record
    sess = wasm_infer.InferenceSession(model, backend="numpy")
    ref = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    for _ in range(3):
        feeds = {"cond": np.array(True), "x": rng.standard_normal(w.shape).astype(np.float32)}
        np.testing.assert_array_equal(sess.run(None, feeds)[0], ref.run(None, feeds)[0])
    (p,) = sess._plans.values()       # the branch inlined into the main plan, its condition checked
    assert [(o.op_type, how) for o, how in zip(p.where, p.kinds)] == [("If", "numpy"), ("Add", "bound")]


def test_fold_stops_at_its_budget(monkeypatch):
    monkeypatch.setattr(planning, "STATIC_FOLD_BYTES", planning.RECORD_VALUE_BYTES)
    model, w = _branch_model()
    sess = wasm_infer.InferenceSession(model, backend="numpy")
    feeds = {"cond": np.array(True), "x": np.ones(w.shape, np.float32)}
    for _ in range(2):
        y = sess.run(None, feeds)[0]
    np.testing.assert_array_equal(y, 1 + np.concatenate([w[128:], w[:128]]))
    (p,) = sess._plans.values()
    assert "Concat" in [o.op_type for o in p.where]       # computed each run, as before
