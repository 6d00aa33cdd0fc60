"""NumPy binders for small data movement and casts (lowering/gathers.py,
lowering/numpy_out.py): Pad in every mode, Slice and Gather with constant
parameters as one np.take over a probed index map; Cast to float; Pow by 2.
Each planned run must equal onnxruntime's output exactly, on fresh input
values each run (the arena and the scratch vector are reused)."""
import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import wasm_infer
from wasm_infer import lowering
from wasm_infer.lowering import gathers

from helpers import FLOAT, INT64, make_model


def _planned(model, feeds_list):
    """Our outputs and onnxruntime's for each feeds dict; the plan's (op_type, how, note) per step."""
    sess = wasm_infer.InferenceSession(model)
    ref = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    pairs = [(sess.run(None, f)[0], ref.run(None, f)[0]) for f in feeds_list]
    (p,) = sess._plans.values()
    return pairs, [(op.op_type, how, note) for op, how, note in zip(p.where, p.kinds, p.notes)]


def _check(model, make_x, op_type, note, runs=3):
    rng = np.random.default_rng(0)
    pairs, steps = _planned(model, [{"x": make_x(rng)} for _ in range(runs)])
    for ours, theirs in pairs:
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
    found = [s for s in steps if s[0] == op_type]
    assert found and all(how == "bound" and n == note for _, how, n in found), steps


def _unary_model(node, x_type, shape, inits=(), opset=18):
    """x -> Relu (an arena value) -> node -> Relu -> y, or x -> node -> Neg for integers."""
    if x_type == FLOAT:
        nodes = [helper.make_node("Relu", ["x"], ["r"]), node, helper.make_node("Relu", ["t"], ["y"])]
    else:
        nodes = [helper.make_node("Identity", ["x"], ["r"]), node, helper.make_node("Neg", ["t"], ["y"])]
    return make_model(nodes, [("x", x_type, shape)], [("y", x_type, None)],
                      dict(inits), opset)


def _floats(shape):
    return lambda rng: rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("mode,pads,value", [
    ("reflect", [0, 0, 2, 0, 0, 3], None), ("edge", [0, 1, 2, 0, 1, 3], None),
    ("constant", [0, 1, 2, 0, 0, 1], 1.5), ("constant", [0, 0, 1, 0, 0, 0], None),
    ("constant", [0, 0, -1, 0, 0, 2], 0.0), ("wrap", [0, 0, 2, 0, 1, 2], None)])
def test_pad_every_mode(mode, pads, value):
    inputs = ["r", "pads"] + (["value"] if value is not None else [])
    inits = {"pads": np.array(pads, np.int64)}
    if value is not None:
        inits["value"] = np.array(value, np.float32)
    node = helper.make_node("Pad", inputs, ["t"], mode=mode)
    _check(_unary_model(node, FLOAT, [1, 3, 7], inits, opset=19), _floats((1, 3, 7)), "Pad", "numpy.take (pad)")


def test_pad_of_integers():
    node = helper.make_node("Pad", ["r", "pads"], ["t"], mode="reflect")
    model = _unary_model(node, INT64, [2, 5], {"pads": np.array([1, 2, 0, 1], np.int64)})
    _check(model, lambda rng: rng.integers(-100, 100, (2, 5)), "Pad", "numpy.take (pad)")


@pytest.mark.parametrize("starts,ends,axes,steps", [
    ([1], [4], [2], [1]), ([-1, 0], [-9, 2], [2, 1], [-2, 1]), ([0, 1], [1, 100], [0, 1], [1, 2])])
def test_slice(starts, ends, axes, steps):
    inits = {"s": np.array(starts, np.int64), "e": np.array(ends, np.int64),
             "a": np.array(axes, np.int64), "p": np.array(steps, np.int64)}
    node = helper.make_node("Slice", ["r", "s", "e", "a", "p"], ["t"])
    _check(_unary_model(node, FLOAT, [2, 3, 8], inits), _floats((2, 3, 8)), "Slice", "numpy.take (slice)")


@pytest.mark.parametrize("indices,axis", [(np.array(1, np.int64), 0), (np.array([[2, -1], [0, 0]], np.int64), 2),
                                          (np.array([-2], np.int64), 1)])
def test_gather_constant_indices(indices, axis):
    node = helper.make_node("Gather", ["r", "i"], ["t"], axis=axis)
    _check(_unary_model(node, FLOAT, [2, 3, 4], {"i": indices}), _floats((2, 3, 4)), "Gather", "numpy.take (gather)")


def _op(model, op_type):
    sess = wasm_infer.InferenceSession(model)
    return next(op for op, _, _ in sess._runner.steps if op.op_type == op_type)


def test_picks_say_why_not():
    f32 = np.dtype(np.float32)
    node = helper.make_node("Gather", ["x", "i"], ["y"])
    model = make_model([node], [("x", FLOAT, [4]), ("i", INT64, [2])], [("y", FLOAT, None)])
    found = lowering.lower(_op(model, "Gather"), [((4,), f32), ((2,), np.dtype(np.int64))], None)
    assert not found and "input 1 is computed at run time" in found.reason
    big = gathers.MAX_ELEMENTS + 1
    node = helper.make_node("Pad", ["x", "pads"], ["y"], mode="edge")
    model = make_model([node], [("x", FLOAT, [big])], [("y", FLOAT, None)], {"pads": np.array([1, 1], np.int64)})
    found = lowering.lower(_op(model, "Pad"), [((big,), f32), ((2,), np.dtype(np.int64))], None)
    assert not found and f"1 to {gathers.MAX_ELEMENTS} elements" in found.reason
    # an index out of range: the op's own run reports it, at run time
    node = helper.make_node("Gather", ["x", "i"], ["y"])
    model = make_model([node], [("x", FLOAT, [4])], [("y", FLOAT, None)], {"i": np.array([7], np.int64)})
    found = lowering.lower(_op(model, "Gather"), [((4,), f32), ((1,), np.dtype(np.int64))], None)
    assert not found and "out of range" in found.reason


@pytest.mark.parametrize("src,to,lowers", [
    (np.float32, TensorProto.DOUBLE, True), (np.int64, TensorProto.FLOAT, True), (np.float64, TensorProto.FLOAT, True),
    (np.int32, TensorProto.DOUBLE, True), (np.float32, TensorProto.INT32, False), (np.float64, TensorProto.FLOAT16, False)])
def test_cast(src, to, lowers):
    src_type = helper.np_dtype_to_tensor_dtype(np.dtype(src))
    nodes = [helper.make_node("Identity", ["x"], ["r"]), helper.make_node("Cast", ["r"], ["t"], to=to),
             helper.make_node("Identity", ["t"], ["y"])]
    model = make_model(nodes, [("x", src_type, [3, 4])], [("y", to, None)])

    def make_x(rng):
        x = rng.standard_normal((3, 4)) * 1e3
        if np.dtype(src).kind == "f":
            x[0, :3] = [np.nan, np.inf, 3.0000001]
        return x.astype(src)
    rng = np.random.default_rng(1)
    sess = wasm_infer.InferenceSession(model)
    ref = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    for _ in range(3):
        feeds = {"x": make_x(rng)}
        ours, theirs = sess.run(None, feeds)[0], ref.run(None, feeds)[0]
        assert ours.dtype == theirs.dtype
        if lowers:
            np.testing.assert_array_equal(ours, theirs)
    cast = _op(model, "Cast")
    found = lowering.lower(cast, [((3, 4), np.dtype(src))], None)
    assert bool(found) == lowers and (not lowers or found.name == "numpy.copyto (cast)")


@pytest.mark.parametrize("exponent,lowers", [(2.0, True), (3.0, False), (np.array(2, np.int64), True)])
def test_pow_by_two(exponent, lowers):
    node = helper.make_node("Pow", ["r", "e"], ["t"])
    model = _unary_model(node, FLOAT, [4, 5], {"e": np.asarray(exponent, getattr(exponent, "dtype", np.float32))})
    if lowers:
        _check(model, _floats((4, 5)), "Pow", "numpy.multiply (square)")
    else:
        assert not lowering.lower(_op(model, "Pow"), [((4, 5), np.dtype(np.float32)), ((), np.dtype(np.float32))], None)
