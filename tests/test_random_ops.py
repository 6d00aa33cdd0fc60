"""Random-number ops: their values cannot match a reference (ONNX fixes no
generator), so check what can be checked: shape, dtype, range, seeds repeat,
and the degenerate distributions whose outcome is certain."""
import numpy as np
from onnx import TensorProto, helper

import wasm_infer

from helpers import FLOAT


def _run(node, inputs=(), feeds=None, out_type=FLOAT):
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                              [helper.make_tensor_value_info(node.output[0], out_type, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    sess = wasm_infer.InferenceSession(model.SerializeToString(), backend="numpy")
    return sess.run(None, feeds or {})[0], sess


def test_random_uniform_and_normal_shapes_ranges_and_seeds():
    y, sess = _run(helper.make_node("RandomUniform", [], ["y"], shape=[3, 4], low=2.0, high=3.0, seed=1.0))
    assert y.shape == (3, 4) and y.dtype == np.float32 and (y >= 2).all() and (y < 3).all()
    y2, _ = _run(helper.make_node("RandomUniform", [], ["y"], shape=[3, 4], low=2.0, high=3.0, seed=1.0))
    np.testing.assert_array_equal(y, y2)          # same seed, same values
    assert not np.array_equal(y, sess.run(None, {})[0])   # the stream moves on
    z, _ = _run(helper.make_node("RandomNormal", [], ["z"], shape=[1000], mean=5.0, scale=0.1,
                                 dtype=TensorProto.DOUBLE), out_type=TensorProto.DOUBLE)
    assert z.dtype == np.float64 and abs(z.mean() - 5) < 0.05


def test_like_variants_follow_the_input():
    x = np.zeros((2, 5), np.float16)
    y, _ = _run(helper.make_node("RandomUniformLike", ["x"], ["y"]), [("x", TensorProto.FLOAT16, [2, 5])],
                {"x": x}, TensorProto.FLOAT16)
    assert y.shape == (2, 5) and y.dtype == np.float16
    z, _ = _run(helper.make_node("RandomNormalLike", ["x"], ["z"], dtype=TensorProto.FLOAT),
                [("x", TensorProto.FLOAT16, [2, 5])], {"x": x})
    assert z.shape == (2, 5) and z.dtype == np.float32


def test_bernoulli_and_multinomial_with_certain_outcomes():
    p = np.array([[0, 1, 1, 0]], np.float32)
    y, _ = _run(helper.make_node("Bernoulli", ["p"], ["y"]), [("p", FLOAT, [1, 4])], {"p": p})
    np.testing.assert_array_equal(y, p)
    logits = np.log(np.array([[1e-30, 1.0, 1e-30], [1.0, 1e-30, 1e-30]], np.float32))
    idx, _ = _run(helper.make_node("Multinomial", ["l"], ["i"], sample_size=5), [("l", FLOAT, [2, 3])],
                  {"l": logits}, TensorProto.INT32)
    assert idx.dtype == np.int32
    np.testing.assert_array_equal(idx, [[1] * 5, [0] * 5])
