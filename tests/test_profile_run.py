"""InferenceSession.profile_run: the per-node timing hook the benchmark's op breakdown uses."""
import numpy as np
from onnx import helper

import wasm_infer

from helpers import FLOAT, make_model


def _model():
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu"),
        helper.make_node("Add", ["r", "b"], ["s"], name="add"),
        helper.make_node("Sigmoid", ["s"], ["y"], name="sigmoid"),
    ]
    return make_model(nodes, [("x", FLOAT, [2, 3])], [("y", FLOAT, [2, 3])],
                      {"b": np.arange(3, dtype=np.float32)})


def test_one_record_per_node_in_run_order():
    sess = wasm_infer.InferenceSession(_model(), backend="numpy")
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    records = sess.profile_run({"x": x})
    assert [(op, name) for op, name, _ in records] == [("Relu", "relu"), ("Add", "add"), ("Sigmoid", "sigmoid")]
    assert all(isinstance(ms, float) and ms >= 0 for _, _, ms in records)


def test_run_is_unchanged_after_profiling():
    sess = wasm_infer.InferenceSession(_model(), backend="numpy")
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    (before,) = sess.run(None, {"x": x})
    sess.profile_run({"x": x})
    (after,) = sess.run(None, {"x": x})
    np.testing.assert_array_equal(before, after)
    # the timing wrappers are gone: steps call the ops' own methods again
    assert all("run" not in vars(op) for op, _, _ in sess._steps)
