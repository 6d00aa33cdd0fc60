"""Building small ONNX models for tests, and sessions of them for the pass tests."""
import collections

import numpy as np
from onnx import TensorProto, helper, numpy_helper


def make_model(nodes, inputs, outputs, initializers=(), opset=17):
    """inputs/outputs: [(name, elem_type, shape)]; initializers: {name: array}."""
    graph = helper.make_graph(
        nodes, "test",
        [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in dict(initializers).items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model.SerializeToString()


FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64


def pass_session(model, monkeypatch, disabled=()):
    """A NumPy-backend session of `model` with the named graph passes switched
    off (WASM_INFER_DISABLE_PASSES; none by default)."""
    import wasm_infer
    monkeypatch.setenv("WASM_INFER_DISABLE_PASSES", ",".join(disabled))
    return wasm_infer.InferenceSession(model, backend="numpy")


def op_counts(sess):
    """How many steps of each op type the session runs, after its graph passes."""
    return collections.Counter(op.op_type for op, _, _ in sess._steps)
