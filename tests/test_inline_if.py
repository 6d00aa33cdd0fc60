"""If nodes inlined into the memory plan around them (wasm_infer/inline_if.py):
the taken branch's steps become the plan's, a condition fixed by the shapes
is folded away, one read from an input is checked on each run and re-plans
when it flips; results against onnxruntime (or worked out by hand)."""
import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

import wasm_infer

from helpers import FLOAT
from inline_if_models import CASES, feeds, sample_rate_model


def _steps(plan):
    return [(op.op_type, op.node.name, how) for op, how in zip(plan.where, plan.kinds)]


def test_sample_rate_branch_is_inlined_and_replans_when_the_rate_flips():
    model = sample_rate_model()
    sess = wasm_infer.InferenceSession(model, backend="numpy")
    ref = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    branch = [("Mul", "mul", "bound"), ("Gather", "gather_state", "bound"), ("Add", "add", "bound")]
    # per run of CASES: the plan's steps after it (None: no plan), and what the plan leaves alone
    want = [
        # `sr` is static for the plan, checked by value in one step (the If's), `sr == 16000` is folded;
        # the shape test is static (no step), the Squeeze of an arena value a view (no step), and
        # the Gather's index is an initializer of the enclosing branch, so the Gather binds as a pick
        ([("If", "rate_if", "numpy")] + branch, set()),
        ([("If", "rate_if", "numpy")] + branch, set()),
        ([("If", "rate_if", "numpy")] + branch, set()),
        (None, {"sr"}),                     # 8 kHz: that run unplanned, the next plan checks the condition
        ([("Equal", "is16k", "numpy"), ("If", "rate_if", "numpy")] + branch, {"sr"}),
        (None, {"sr", "is16k"}),            # flipped again: the next plan keeps the If as a step
        (None, {"sr", "is16k"}),            # (here its only step: nothing to bind, no plan)
    ]
    for k, (sr, (steps, skip)) in enumerate(zip(CASES, want)):
        f = feeds(sr, k)
        np.testing.assert_allclose(sess.run(None, f)[0], ref.run(None, f)[0], rtol=1e-6)
        plan = next(iter(sess._plans.values()), None)
        assert (_steps(plan) if plan is not None else None) == steps, k
        assert set(next(iter(sess._no_adopt.values()), ())) == skip, k
        if k == 2:
            (if_op,) = [op for op, _, _ in sess._runner.steps if op.op_type == "If"]
            assert not if_op.then_plans.plans      # the branch never ran as a subgraph of its own


def test_if_with_a_static_condition_inlines_at_every_depth():
    """Both conditions come from shapes: nothing of either If is left in the plan."""
    inner = helper.make_node(
        "If", ["wide"], ["r"], name="inner",
        then_branch=helper.make_graph([helper.make_node("Relu", ["a"], ["t"], name="relu")], "t", [],
                                      [helper.make_tensor_value_info("t", FLOAT, None)]),
        else_branch=helper.make_graph([helper.make_node("Neg", ["a"], ["e"], name="neg")], "e", [],
                                      [helper.make_tensor_value_info("e", FLOAT, None)]))
    outer_then = helper.make_graph(
        [helper.make_node("Add", ["x", "x"], ["a"], name="add"), helper.make_node("Size", ["a"], ["n"]),
         helper.make_node("Greater", ["n", "three"], ["wide"]), inner],
        "then", [], [helper.make_tensor_value_info("r", FLOAT, None)],
        [numpy_helper.from_array(np.array(3, np.int64), "three")])
    outer_else = helper.make_graph([helper.make_node("Sigmoid", ["x"], ["s"])], "else", [],
                                   [helper.make_tensor_value_info("s", FLOAT, None)])
    graph = helper.make_graph(
        [helper.make_node("Shape", ["x"], ["shp"]), helper.make_node("Size", ["shp"], ["rank"]),
         helper.make_node("Equal", ["rank", "two"], ["is2d"]),
         helper.make_node("If", ["is2d"], ["y"], name="outer", then_branch=outer_then, else_branch=outer_else)],
        "g", [helper.make_tensor_value_info("x", FLOAT, None)], [helper.make_tensor_value_info("y", FLOAT, None)],
        [numpy_helper.from_array(np.array(2, np.int64), "two")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    data = model.SerializeToString()
    sess = wasm_infer.InferenceSession(data, backend="numpy")
    ref = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    # 2-D and wide, 2-D and narrow, 1-D: three signatures, three different branch paths
    for shape in [(2, 4), (2, 4), (1, 2), (1, 2), (5,), (5,)]:
        f = {"x": rng.standard_normal(shape).astype(np.float32)}
        np.testing.assert_allclose(sess.run(None, f)[0], ref.run(None, f)[0], rtol=1e-6)
    plans = [_steps(p) for p in sess._plans.values()]
    assert plans == [[("Add", "add", "bound"), ("Relu", "relu", "bound")],
                     [("Add", "add", "bound"), ("Neg", "neg", "bound")],
                     [("Sigmoid", "", "bound")]]
    assert not sess._no_adopt


def test_branch_values_named_like_outer_values_are_renamed():
    """A branch value that shadows a name of the graph around it gets a fresh
    name in the plan; a branch whose output is an outer value is not inlined."""
    then_g = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["a"], name="shadow"), helper.make_node("Add", ["a", "a"], ["t"], name="add")],
        "then", [], [helper.make_tensor_value_info("t", FLOAT, None)])
    else_g = helper.make_graph([], "else", [], [helper.make_tensor_value_info("a", FLOAT, None)])  # outer `a`
    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "x"], ["a"], name="square"),
         helper.make_node("If", ["c"], ["y"], name="branchy", then_branch=then_g, else_branch=else_g),
         helper.make_node("Sub", ["y", "a"], ["z"], name="sub")],
        "g", [helper.make_tensor_value_info("x", FLOAT, [3]), helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("z", FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    sess = wasm_infer.InferenceSession(model.SerializeToString(), backend="numpy")
    x = np.array([1, 2, 3], np.float32)
    for _ in range(3):
        np.testing.assert_array_equal(sess.run(None, {"x": x, "c": np.array(True)})[0], -2 * x - x * x)
    (plan,) = sess._plans.values()
    # (the bool input `c` is checked by value in the If's step, before the rest)
    assert [n for _, n, _ in _steps(plan)] == ["branchy", "square", "shadow", "add", "sub"]
    for _ in range(3):      # the other branch: its output is `a` of the main graph, the If stays a step
        np.testing.assert_array_equal(sess.run(None, {"x": x, "c": np.array(False)})[0], 0 * x)
    (plan,) = sess._plans.values()
    assert [n for _, n, _ in _steps(plan)] == ["square", "branchy", "sub"]


def test_if_inside_a_loop_body_is_not_recorded_by_the_enclosing_run():
    """The Loop runs its body many times with the If's condition flipping; the
    recording run of the main graph records only its own If nodes."""
    inner = helper.make_node(
        "If", ["odd"], ["step"], name="parity",
        then_branch=helper.make_graph([helper.make_node("Neg", ["acc"], ["n"])], "t", [],
                                      [helper.make_tensor_value_info("n", FLOAT, None)]),
        else_branch=helper.make_graph([helper.make_node("Add", ["acc", "one"], ["p"])], "e", [],
                                      [helper.make_tensor_value_info("p", FLOAT, None)]))
    body = helper.make_graph(
        [helper.make_node("Mod", ["i", "two"], ["r"]), helper.make_node("Cast", ["r"], ["odd"], to=TensorProto.BOOL),
         inner, helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body", [helper.make_tensor_value_info("i", TensorProto.INT64, []),
                 helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
                 helper.make_tensor_value_info("acc", FLOAT, None)],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("step", FLOAT, None)],
        [numpy_helper.from_array(np.array(2, np.int64), "two")])
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["x0"]), helper.make_node("Loop", ["n", "", "x0"], ["y"], body=body)], "g",
        [helper.make_tensor_value_info("x", FLOAT, [4]), helper.make_tensor_value_info("n", TensorProto.INT64, [])],
        [helper.make_tensor_value_info("y", FLOAT, None)],
        [numpy_helper.from_array(np.array(1, np.float32), "one")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    sess = wasm_infer.InferenceSession(model.SerializeToString(), backend="numpy")
    x = np.array([-1, 0, 2, 3], np.float32)
    want = np.maximum(x, 0)
    for i in range(5):
        want = -want if i % 2 else want + 1
    for _ in range(3):
        np.testing.assert_array_equal(sess.run(None, {"x": x, "n": np.array(5, np.int64)})[0], want)
    (plan,) = sess._plans.values()
    assert [op.op_type for op in plan.where] == ["Relu", "Loop"]



def test_inlined_plan_under_guard_checks(monkeypatch):
    """WASM_INFER_DEBUG=checks paints and checks each buffer's guard bytes at
    the steps of the plan, inlined branch steps included: same results."""
    monkeypatch.setenv("WASM_INFER_DEBUG", "checks")
    model = sample_rate_model()
    sess = wasm_infer.InferenceSession(model, backend="numpy")
    ref = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    for k in range(3):
        f = feeds(16000, k)
        np.testing.assert_allclose(sess.run(None, f)[0], ref.run(None, f)[0], rtol=1e-6)
    (plan,) = sess._plans.values()
    # the inlined Mul's step checks the guards of its own output buffer `m`
    (step,) = [fn for fn, op in zip(plan.fns, plan.where) if op.node.name == "mul"]
    live = dict(zip(step.__code__.co_freevars, (c.cell_contents for c in step.__closure__)))["live"]
    assert "m" in [name for name, _, _, _ in live]
