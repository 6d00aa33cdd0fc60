"""Subgraphs with outer-scope values, sequences, optionals and model-local
functions, against onnx.reference, or against values worked out by hand where
onnx.reference does not support the construct (outer-scope reads in Loop,
reverse Scan, attribute references inside functions)."""
import numpy as np
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

import wasm_infer
from wasm_infer import UnsupportedError

from helpers import FLOAT, INT64


def _model(nodes, inputs, outputs, opset=18, functions=(), extra_opsets=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset), *extra_opsets],
                              functions=list(functions))
    model.ir_version = 9
    return model


def _check(model, feeds, want=None):
    got = wasm_infer.InferenceSession(model.SerializeToString(), backend="numpy").run(None, feeds)
    if want is None:
        want = ReferenceEvaluator(model).run(None, feeds)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if isinstance(w, list):
            assert len(g) == len(w)
            for a, b in zip(g, w):
                np.testing.assert_allclose(a, b, rtol=1e-6)
        else:
            np.testing.assert_allclose(g, w, rtol=1e-6)
    return got


def _vi(name, elem=FLOAT, shape=None):
    return helper.make_tensor_value_info(name, elem, shape)


def test_if_reads_outer_scope_values_through_nested_subgraphs():
    # y = x * 2 is computed in the main graph; both branches read it, the
    # then-branch from inside a nested If.
    inner = helper.make_graph([helper.make_node("Add", ["y", "x"], ["r"])], "inner", [], [_vi("r")])
    then_g = helper.make_graph([helper.make_node("If", ["c"], ["t"], then_branch=inner, else_branch=inner)],
                               "then", [], [_vi("t")])
    else_g = helper.make_graph([helper.make_node("Neg", ["y"], ["e"])], "else", [], [_vi("e")])
    nodes = [helper.make_node("Mul", ["x", "x"], ["y"]),
             helper.make_node("Identity", ["y"], ["y_unused"]),
             helper.make_node("If", ["c"], ["out"], then_branch=then_g, else_branch=else_g)]
    model = _model(nodes, [_vi("x", shape=[3]), _vi("c", TensorProto.BOOL, [])], [_vi("out")])
    x = np.array([1, 2, 3], np.float32)
    for c in (True, False):
        _check(model, {"x": x, "c": np.array(c)})


def test_loop_with_scan_outputs_and_outer_scope():
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Add", ["acc_in", "step"], ["acc_out"]),
         helper.make_node("Cast", ["i"], ["i_f"], to=TensorProto.FLOAT),
         helper.make_node("Mul", ["acc_out", "i_f"], ["scan"])],
        "body", [_vi("i", INT64, []), _vi("cond_in", TensorProto.BOOL, []), _vi("acc_in", shape=[2])],
        [_vi("cond_out", TensorProto.BOOL, []), _vi("acc_out", shape=[2]), _vi("scan", shape=[2])])
    model = _model([helper.make_node("Loop", ["n", "", "a0"], ["acc", "scans"], body=body)],
                   [_vi("n", INT64, []), _vi("a0", shape=[2]), _vi("step", shape=[2])],
                   [_vi("acc"), _vi("scans")])
    # acc_i = acc_{i-1} + step; scan_i = acc_i * i
    _check(model, {"n": np.array(4, np.int64), "a0": np.zeros(2, np.float32),
                   "step": np.array([1, 0.5], np.float32)},
           [np.array([4, 2], np.float32), np.array([[0, 0], [2, 1], [6, 3], [12, 6]], np.float32)])


def test_scan_reverse_direction_and_axis():
    body = helper.make_graph([helper.make_node("Add", ["s_in", "x"], ["s_out"]),
                              helper.make_node("Identity", ["s_out"], ["y"])],
                             "body", [_vi("s_in", shape=[2]), _vi("x", shape=[2])],
                             [_vi("s_out", shape=[2]), _vi("y", shape=[2])])
    node = helper.make_node("Scan", ["s0", "xs"], ["s", "ys"], body=body, num_scan_inputs=1,
                            scan_input_axes=[1], scan_input_directions=[1], scan_output_axes=[-1])
    model = _model([node], [_vi("s0", shape=[2]), _vi("xs", shape=[2, 3])], [_vi("s"), _vi("ys")])
    # columns visited last to first: [2,5], [1,4], [0,3]; running sums stacked on the last axis
    _check(model, {"s0": np.zeros(2, np.float32), "xs": np.arange(6, dtype=np.float32).reshape(2, 3)},
           [np.array([3, 12], np.float32), np.array([[2, 3, 3], [5, 9, 12]], np.float32)])


def test_sequence_ops():
    nodes = [helper.make_node("SequenceConstruct", ["a", "b", "a"], ["s"]),
             helper.make_node("SequenceErase", ["s", "one"], ["s2"]),
             helper.make_node("SequenceInsert", ["s2", "b", "zero"], ["s3"]),
             helper.make_node("SequenceLength", ["s3"], ["n"]),
             helper.make_node("SequenceAt", ["s3", "minus1"], ["last"]),
             helper.make_node("ConcatFromSequence", ["s3"], ["cat"], axis=0),
             helper.make_node("ConcatFromSequence", ["s3"], ["stacked"], axis=-1, new_axis=1),
             helper.make_node("SplitToSequence", ["cat", "two"], ["pieces"], axis=0),
             helper.make_node("SequenceErase", ["pieces"], ["pieces2"])]
    consts = [helper.make_node("Constant", [], [n], value=helper.make_tensor(n, INT64, [], [v]))
              for n, v in (("one", 1), ("zero", 0), ("minus1", -1), ("two", 2))]
    model = _model(consts + nodes, [_vi("a", shape=[2]), _vi("b", shape=[2])],
                   [_vi("n", INT64), _vi("last"), _vi("cat"), _vi("stacked"),
                    helper.make_tensor_sequence_value_info("pieces2", FLOAT, None)])
    _check(model, {"a": np.array([1, 2], np.float32), "b": np.array([3, 4], np.float32)})


def _split_model(axis, keepdims, with_split, rank):
    inputs = [_vi("x", shape=None)] + ([_vi("s", INT64)] if with_split else [])
    node = helper.make_node("SplitToSequence", ["x"] + (["s"] if with_split else []), ["y"], axis=axis,
                            keepdims=keepdims)
    return _model([node], inputs, [helper.make_tensor_sequence_value_info("y", FLOAT, None)], opset=17)


@pytest.mark.parametrize("shape", [(2, 7, 3), (5,), (4, 0), (0, 3)])
def test_split_to_sequence_matches_onnxruntime(shape):
    """Every axis, keepdims, no split, scalar splits and size lists, empty axes included (no
    pieces, as onnxruntime); pieces are arrays, never NumPy scalars. With a split, keepdims=0 is
    left out: the standard ignores keepdims then (so do we and onnx.reference), while
    onnxruntime 1.x squeezes pieces of size 1 and fails on larger ones."""
    import onnxruntime as ort
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    for axis in range(-len(shape), len(shape)):
        n = shape[axis]
        for keepdims in (0, 1):
            splits = [None] + ([np.array(k, np.int64) for k in range(1, n + 2)] +
                               [np.array(v, np.int64) for v in ([n], [0, n, 0], [1, n - 1]) if min(v) >= 0]
                               if keepdims else [])
            for split in splits:
                model = _split_model(axis, keepdims, split is not None, len(shape)).SerializeToString()
                feeds = {"x": x} if split is None else {"x": x, "s": split}
                (want,) = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, feeds)
                (got,) = wasm_infer.InferenceSession(model).run(None, feeds)
                assert len(got) == len(want), (axis, keepdims, split)
                for g, w in zip(got, want):
                    assert type(g) is np.ndarray and g.shape == w.shape, (axis, keepdims, split, g.shape, w.shape)
                    np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("split", [np.array(0, np.int64), np.array(-2, np.int64), np.array([2, 2], np.int64),
                                   np.array([-1, 6], np.int64)])
def test_split_to_sequence_refuses_splits_that_do_not_cover_the_axis(split):
    sess = wasm_infer.InferenceSession(_split_model(0, 1, True, 1).SerializeToString())
    with pytest.raises(wasm_infer.InputError, match="SplitToSequence"):
        sess.run(None, {"x": np.arange(5, dtype=np.float32), "s": split})


def test_optional_ops():
    nodes = [helper.make_node("Optional", ["x"], ["opt"]),
             helper.make_node("OptionalHasElement", ["opt"], ["has"]),
             helper.make_node("OptionalGetElement", ["opt"], ["value"]),
             helper.make_node("Optional", [], ["empty"], type=helper.make_tensor_type_proto(FLOAT, [2])),
             helper.make_node("OptionalHasElement", ["empty"], ["has_empty"])]
    model = _model(nodes, [_vi("x", shape=[2])], [_vi("has", TensorProto.BOOL), _vi("value"),
                                                  _vi("has_empty", TensorProto.BOOL)])
    _check(model, {"x": np.array([1, 2], np.float32)}, [np.array(True), np.array([1, 2], np.float32), np.array(False)])


def test_local_function_with_attribute_reference_and_default():
    # alpha has a default in the function (attribute_protos); the first call overrides it
    fn = helper.make_function(
        "custom", "ScaleAdd", ["a", "b"], ["y"],
        [helper.make_node("Constant", [], ["k"], value_float=2.0),
         helper.make_node("Mul", ["a", "k"], ["t"]),
         helper.make_node("Add", ["t", "b"], ["s"]),
         _leaky_with_ref()],
        [helper.make_opsetid("", 18)], attribute_protos=[helper.make_attribute("alpha", 0.1)])
    nodes = [helper.make_node("ScaleAdd", ["x", "x"], ["y1"], domain="custom", alpha=0.5),
             helper.make_node("ScaleAdd", ["y1", "x"], ["y2"], domain="custom")]
    model = _model(nodes, [_vi("x", shape=[3])], [_vi("y2")], functions=[fn],
                   extra_opsets=[helper.make_opsetid("custom", 1)])
    # call 1 (alpha 0.5): leaky(3x); call 2 (default alpha 0.1): leaky(2*y1 + x)
    _check(model, {"x": np.array([-1, 0, 2], np.float32)}, [np.array([-0.4, 0, 14], np.float32)])


def _leaky_with_ref():
    node = helper.make_node("LeakyRelu", ["s"], ["y"])
    attr = helper.make_attribute("alpha", 0.0)
    attr.ref_attr_name = "alpha"
    node.attribute.append(attr)
    return node


def test_unsupported_op_inside_a_subgraph_is_reported_at_creation():
    body = helper.make_graph([helper.make_node("NoSuchOp", ["x"], ["r"], name="deep")], "b", [], [_vi("r")])
    model = _model([helper.make_node("If", ["c"], ["out"], name="branchy", then_branch=body, else_branch=body)],
                   [_vi("x", shape=[1]), _vi("c", TensorProto.BOOL, [])], [_vi("out")])
    with pytest.raises(UnsupportedError) as err:
        wasm_infer.InferenceSession(model.SerializeToString())
    msg = str(err.value)
    assert "NoSuchOp" in msg and "deep" in msg and "branchy" in msg and "opset 18" in msg and "ai.onnx" in msg


def test_if_branches_are_planned_per_signature():
    """An If branch gets a memory plan per signature of what it reads: its
    steps bind (NumPy ufuncs natively), values computed from an enclosing
    graph's initializers are folded at plan time, results stay right when the
    shape changes, and a value the caller edits does not leak into the next run."""
    import onnxruntime as ort
    from onnx import numpy_helper
    w = np.arange(12, dtype=np.float32).reshape(3, 4) / 10
    then_g = helper.make_graph(
        [helper.make_node("Slice", ["w", "s0", "s1", "ax"], ["ws"]),          # from outer initializers: static
         helper.make_node("Add", ["x", "ws"], ["a"]), helper.make_node("Relu", ["a"], ["then_out"])],
        "then", [], [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, None)])
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["else_out"])], "else", [],
                               [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, None)])
    graph = helper.make_graph(
        [helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)], "g",
        [helper.make_tensor_value_info("c", TensorProto.BOOL, []), helper.make_tensor_value_info("x", FLOAT, None)],
        [helper.make_tensor_value_info("y", FLOAT, None)],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.array([1], np.int64), "s0"),
         numpy_helper.from_array(np.array([2], np.int64), "s1"), numpy_helper.from_array(np.array([0], np.int64), "ax")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    data = model.SerializeToString()
    sess = wasm_infer.InferenceSession(data, backend="numpy")
    ref = ort.InferenceSession(data)
    rng = np.random.default_rng(0)
    # c flips on every run: the plan inlines the branch of its recording run (inline_if), the
    # flip re-plans once with the If kept as a step, whose branches then get plans of their own
    for shape in [(2, 4), (2, 4), (2, 4), (5, 4), (5, 4), (5, 4), (2, 4)]:
        for c in (True, False):
            feeds = {"c": np.array(c), "x": rng.standard_normal(shape).astype(np.float32)}
            y = sess.run(None, feeds)[0]
            np.testing.assert_allclose(y, ref.run(None, feeds)[0], rtol=1e-6)
            y -= 100                      # the caller's edit must not reach the session
    assert len(sess._plans) == 2 and all(p is None for p in sess._plans.values())   # the If alone: nothing to bind
    assert all(skip == {"c"} for skip in sess._no_adopt.values())     # not inlined again
    (if_op,) = [op for op, _, _ in sess._steps if op.op_type == "If"]
    plans = if_op.then_plans.plans
    assert len(plans) == 2 and all(p is not None for p in plans.values())    # one per shape of x
    p = next(iter(plans.values()))
    assert [(op.op_type, how) for op, how in zip(p.where, p.kinds)] == [("Add", "bound"), ("Relu", "bound")]
