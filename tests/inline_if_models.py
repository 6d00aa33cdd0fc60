"""Models whose If nodes the memory plan inlines (wasm_infer/inline_if.py),
shared by tests/test_inline_if.py (natively) and tests/node/plan.test.mjs
(in Pyodide, with the kernels).

`sample_rate_model`: the shape of an exported voice-activity model. An If on
`sr == 16000` (a scalar input: a guarded condition) around a branch that
multiplies by a weight and holds an If on a shape test (a condition static
for the plan) whose branch squeezes and adds a row of `state`, picked by a
Gather whose index is an initializer of the enclosing branch; the other
branch negates.

Run as a script: `python3 tests/inline_if_models.py DIR` writes the model
and, per case of CASES, its feeds and onnxruntime's outputs to DIR."""
import sys
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

FLOAT, INT64 = TensorProto.FLOAT, TensorProto.INT64
# sample rates in run order: the first run inlines the 16 kHz branch, 8 kHz flips it
CASES = [16000, 16000, 16000, 8000, 16000, 8000, 16000]


def _out(name):
    return [helper.make_tensor_value_info(name, FLOAT, None)]


def sample_rate_model():
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)     # noqa: E731
    shape_if = helper.make_node(
        "If", ["is8"], ["y16"], name="shape_if",
        then_branch=helper.make_graph(
            [helper.make_node("Squeeze", ["m", "ax0"], ["t_sq"], name="squeeze"),
             helper.make_node("Gather", ["state", "row"], ["h"], name="gather_state", axis=0),   # `row`: outer
             helper.make_node("Add", ["t_sq", "h"], ["t_sum"], name="add")],
            "t", [], _out("t_sum")),
        else_branch=helper.make_graph([helper.make_node("Relu", ["m"], ["t_relu"], name="relu")], "e", [],
                                      _out("t_relu")))
    then_g = helper.make_graph(
        [helper.make_node("Mul", ["x", "w"], ["m"], name="mul"),
         helper.make_node("Shape", ["m"], ["shp"], name="shape"),
         helper.make_node("Gather", ["shp", "one"], ["dim"], name="dim", axis=0),
         helper.make_node("Equal", ["dim", "eight"], ["is8"], name="is8"),
         shape_if],
        "then16", [], _out("y16"),
        [i64("one", 1), i64("eight", 8), i64("ax0", [0]), i64("row", 1)])
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["y8"], name="neg")], "else8", [], _out("y8"))
    graph = helper.make_graph(
        [helper.make_node("Equal", ["sr", "rate"], ["is16k"], name="is16k"),
         helper.make_node("If", ["is16k"], ["y"], name="rate_if", then_branch=then_g, else_branch=else_g)],
        "g",
        [helper.make_tensor_value_info("x", FLOAT, [1, 8]), helper.make_tensor_value_info("state", FLOAT, [2, 8]),
         helper.make_tensor_value_info("sr", INT64, [])],
        _out("y"),
        [numpy_helper.from_array(np.linspace(-1, 1, 8, dtype=np.float32), "w"), i64("rate", 16000)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    return model.SerializeToString()


def feeds(sr, k):
    rng = np.random.default_rng(k)
    return {"x": rng.standard_normal((1, 8)).astype(np.float32),
            "state": rng.standard_normal((2, 8)).astype(np.float32), "sr": np.array(sr, np.int64)}


def write(out_dir):
    import onnxruntime as ort
    out_dir = Path(out_dir)
    model = sample_rate_model()
    (out_dir / "sample_rate.onnx").write_bytes(model)
    ref = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    for k, sr in enumerate(CASES):
        f = feeds(sr, k)
        np.savez(out_dir / f"sample_rate.{k}.npz", **f, want=ref.run(None, f)[0])


if __name__ == "__main__":
    write(sys.argv[1])
