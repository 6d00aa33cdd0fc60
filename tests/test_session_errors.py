"""Bad models and bad feeds raise documented wasm_infer exceptions with
messages that say what is wrong."""
import numpy as np
import pytest
from onnx import helper

import wasm_infer
from wasm_infer import InputError, ModelError, UnsupportedError, WasmInferError

from helpers import FLOAT, make_model


@pytest.fixture(scope="module")
def relu_model():
    return make_model([helper.make_node("Relu", ["x"], ["y"])], [("x", FLOAT, ["N", 3])], [("y", FLOAT, ["N", 3])])


def test_error_hierarchy():
    for cls in (ModelError, UnsupportedError, InputError, wasm_infer.ResourceError, wasm_infer.DeadlineError,
                wasm_infer.PlanError):
        assert issubclass(cls, WasmInferError)


def test_every_error_class_the_readme_names_is_exported_from_the_package():
    import pathlib
    import re
    readme = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()
    named = set(re.findall(r"^\| `(\w+(?:Error|Warning))` \|", readme, re.M))
    assert {"WasmInferError", "ModelError", "ResourceError", "DeadlineError", "PlanError"} <= named, named
    for name in named:
        assert name in wasm_infer.__all__ and issubclass(getattr(wasm_infer, name), (WasmInferError, Warning)), name


def test_text_file_is_not_a_model(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("this is a text file, not an ONNX model\n")
    with pytest.raises(ModelError):
        wasm_infer.InferenceSession(str(path))


def test_missing_file():
    with pytest.raises(ModelError, match="cannot read model file"):
        wasm_infer.InferenceSession("/nonexistent/model.onnx")


def test_truncated_model(effnet_path):
    data = effnet_path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 3):
        with pytest.raises(ModelError, match="truncated"):
            wasm_infer.InferenceSession(data[:cut])


def test_unsupported_op_is_named_at_creation():
    model = make_model([helper.make_node("NoSuchOp", ["x"], ["y"], name="the_node")],
                       [("x", FLOAT, [2])], [("y", FLOAT, [2])])
    with pytest.raises(UnsupportedError) as err:
        wasm_infer.InferenceSession(model)
    msg = str(err.value)
    assert "NoSuchOp" in msg and "the_node" in msg and "ai.onnx" in msg and "opset 17" in msg


def test_unknown_domain_is_named():
    graph = helper.make_graph([helper.make_node("Foo", ["x"], ["y"], domain="com.example", name="n1")], "g",
                              [helper.make_tensor_value_info("x", FLOAT, [2])],
                              [helper.make_tensor_value_info("y", FLOAT, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    model.ir_version = 8
    with pytest.raises(UnsupportedError, match="'Foo'.*com.example"):
        wasm_infer.InferenceSession(model.SerializeToString())


def test_too_new_opset_and_ir_version(relu_model):
    with pytest.raises(UnsupportedError, match="opset 99"):
        wasm_infer.InferenceSession(make_model([helper.make_node("Relu", ["x"], ["y"])],
                                               [("x", FLOAT, [2])], [("y", FLOAT, [2])], opset=99))
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", FLOAT, [2])],
                              [helper.make_tensor_value_info("y", FLOAT, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 99
    with pytest.raises(UnsupportedError, match="IR version 99"):
        wasm_infer.InferenceSession(model.SerializeToString())


def test_dangling_input_is_a_model_error():
    model = make_model([helper.make_node("Relu", ["nowhere"], ["y"], name="r")],
                       [("x", FLOAT, [2])], [("y", FLOAT, [2])])
    with pytest.raises(ModelError, match="'nowhere'.*'r'"):
        wasm_infer.InferenceSession(model)


def test_feed_errors(relu_model):
    sess = wasm_infer.InferenceSession(relu_model)
    good = np.ones((2, 3), np.float32)
    assert sess.run(None, {"x": good})[0].shape == (2, 3)
    cases = [
        ({"X": good}, "unknown input name 'X'"),
        ({}, "missing input 'x'"),
        ({"x": good.astype(np.float64)}, "dtype float64.*tensor\\(float\\)"),
        ({"x": np.ones((2, 4), np.float32)}, "axis 1 must be 3"),
        ({"x": np.ones(3, np.float32)}, "rank 1"),
        ({"x": [[1.0, 2.0, 3.0]]}, "numpy array"),
    ]
    for feeds, pattern in cases:
        with pytest.raises(InputError, match=pattern):
            sess.run(None, feeds)
    with pytest.raises(InputError, match="unknown output name 'z'"):
        sess.run(["z"], {"x": good})


def test_get_inputs_and_outputs(effnet_path):
    sess = wasm_infer.InferenceSession(str(effnet_path))
    (i,), (o,) = sess.get_inputs(), sess.get_outputs()
    assert (i.name, i.shape, i.type) == ("input", ["batch", 3, 224, 224], "tensor(float)")
    assert (o.name, o.shape, o.type) == ("logits", ["batch", 1000], "tensor(float)")


def test_reshape_to_a_zero_past_the_inputs_rank_is_an_input_error():
    """A 0 in Reshape's shape copies the input's dim at that index; past the input's rank there
    is none (onnxruntime refuses it too). It was an IndexError inside the op: all-MiniLM-L6-v2 fed
    a sequence of length 0 reached one."""
    from onnx import TensorProto
    model = make_model([helper.make_node("Reshape", ["x", "s"], ["y"])], [("x", FLOAT, ["N"]),
                                                                           ("s", TensorProto.INT64, [3])],
                       [("y", FLOAT, None)])
    sess = wasm_infer.InferenceSession(model)
    with pytest.raises(InputError, match=r"a 0 at index 1 copies a dim the rank-1 input lacks"):
        sess.run(None, {"x": np.zeros(4, np.float32), "s": np.array([2, 0, -1], np.int64)})
    (y,) = sess.run(None, {"x": np.zeros(4, np.float32), "s": np.array([0, 1, 1], np.int64)})
    assert y.shape == (4, 1, 1)
