"""The lowering registry (wasm_infer/lowering/): ops are NumPy only, every
entry names a registered op, binders say why they do not apply, and the
memory plan binds through them (natively: the NumPy binders)."""
import re
from pathlib import Path

import numpy as np
import pytest
from onnx import helper

import wasm_infer
from wasm_infer import lowering
from wasm_infer.kernels import binary_geometry
from wasm_infer.ops import load_all

from helpers import FLOAT, make_model

OPS = Path(wasm_infer.__file__).parent / "ops"


def test_no_op_file_refers_to_kernels():
    bad = [f"{p.name}:{i}: {line.strip()}" for p in sorted(OPS.glob("*.py"))
           for i, line in enumerate(p.read_text().splitlines(), 1)
           if re.search(r"\bkernels\b|\bbind_\w+|\bpack_\w+|\bbindable\b|def bind\b", line)]
    assert not bad, "ops/ is NumPy semantics only; kernels belong in lowering/:\n" + "\n".join(bad)


def test_every_lowering_names_a_registered_op():
    ops = load_all()
    for (domain, op_type), entries in lowering.load_all().items():
        assert (domain, op_type) in ops, f"lowering for unknown op {domain}:{op_type}"
        kinds = [e.kernel for e in entries]
        assert kinds == sorted(kinds, reverse=True), f"{op_type}: kernel entries must come first"


def _op(model, op_type):
    sess = wasm_infer.InferenceSession(model)
    return next(op for op, _, _ in sess._runner.steps if op.op_type == op_type)


def test_lower_says_why_not():
    model = make_model([helper.make_node("Relu", ["x"], ["y"])], [("x", FLOAT, [2, 3])], [("y", FLOAT, None)])
    relu = _op(model, "Relu")
    found = lowering.lower(relu, [((2, 3), np.dtype(np.float32))], None)
    assert found and found.outputs == [((2, 3), np.dtype(np.float32))] and found.name == "numpy.maximum"
    none = lowering.lower(relu, [((2, 3), np.dtype(np.int32))], None)
    assert not none and "no wasm kernels" in none.reason and "needs float32/float64" in none.reason
    assert not lowering.lower(relu, [((2, 3), np.dtype(np.float32))], None, numpy_out=False)


@pytest.mark.parametrize("sa,sb,folds", [((2, 3, 4), (2, 3, 4), True), ((2, 3, 4), (), True), ((1, 8, 8, 16), (16,), True),
                                         ((1, 16, 8, 8), (16, 1, 1), True), ((2, 3, 4), (2, 1, 4), True),
                                         ((5, 4, 3, 2), (5, 1, 3, 1), False), ((4, 1), (1, 4), True)])
def test_broadcast_folds(sa, sb, folds):
    # the binary kernel's geometry, from shapes alone: what the Add/Sub/Mul/Div lowering asks
    assert (binary_geometry(sa, sb) is not None) == folds


def test_plan_notes_say_what_each_step_runs():
    nodes = [helper.make_node("Acos", ["x"], ["e"]), helper.make_node("Relu", ["e"], ["y"])]   # Acos: no lowering
    sess = wasm_infer.InferenceSession(make_model(nodes, [("x", FLOAT, [3])], [("y", FLOAT, None)]))
    for _ in range(2):
        sess.run(None, {"x": np.array([-1, 0, 1], np.float32)})
    (p,) = sess._plans.values()
    assert list(zip([op.op_type for op in p.where], p.kinds)) == [("Acos", "numpy"), ("Relu", "bound")]
    assert "no lowering for Acos" in p.notes[0] and p.notes[1] == "numpy.maximum"


def test_hard_sigmoid_binder_gives_the_ops_values_bit_for_bit():
    """The NumPy binder (maximum then minimum, not np.clip) on NaN, infinities, signed zeros, the
    clamp bounds and ordinary values: the same bits as HardSigmoid's own run, float32 and float64."""
    for dtype in (np.float32, np.float64):
        model = make_model([helper.make_node("HardSigmoid", ["x"], ["y"], alpha=0.5, beta=0.0)],
                           [("x", FLOAT, [10])], [("y", FLOAT, None)])
        op = _op(model, "HardSigmoid")
        x = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, -1e-30, 2.0, 3.0, -0.7], dtype)
        found = lowering.lower(op, [(x.shape, x.dtype)], None)
        assert found and found.name == "numpy hard sigmoid"
        out = np.empty_like(x)
        found.bind([x], [out])()
        (want,) = op.run(x)
        assert want.dtype == dtype and out.tobytes() == want.tobytes(), (out, want)
