"""Every registered op implementation — (domain, op_type, since-version) —
runs during the test session. The registry records what runs
(`wasm_infer.ops.record_executions`, switched on by conftest.py before any
session exists); conftest.py puts `test_every_registered_op_ran` after all
other tests and tells it whether this session is the whole suite, since a
subset cannot be expected to run everything."""
import numpy as np
import pytest
from onnx import helper

import wasm_infer
from wasm_infer import ops

from conftest import SUBSET
from helpers import FLOAT, make_model

# Implementations that cannot run natively, each with its reason. Keep it to
# those: an op that can run here but has no test needs a test instead.
EXEMPT = {
}


def _shown(keys):
    return sorted(f"{d or 'ai.onnx'}:{op} (since {since})" for d, op, since in keys)


def test_recorder_sees_what_runs():
    """The check below is only as good as the recording: an op that runs is
    recorded under its own version (opset 11 picks Softmax-1, not Softmax-13)."""
    executed = ops.record_executions()
    old, new = ("", "Softmax", 1), ("", "Softmax", 13)
    had_new = new in executed
    executed.discard(old)          # the run below must put it back
    model = make_model([helper.make_node("Softmax", ["x"], ["y"])], [("x", FLOAT, [1, 2])], [("y", FLOAT, [1, 2])],
                       opset=11)
    (y,) = wasm_infer.InferenceSession(model, backend="numpy").run(None, {"x": np.zeros((1, 2), np.float32)})
    assert y.tolist() == [[0.5, 0.5]]
    assert old in executed
    assert (new in executed) == had_new


def test_exemptions_are_registered():
    assert not set(EXEMPT) - ops.implementations(), "EXEMPT names an implementation that is not registered"


def test_every_registered_op_ran(request):
    subset = request.config.stash.get(SUBSET, "collection did not finish")
    if subset:
        pytest.skip(f"op coverage is checked only when the whole suite runs; this run is a subset: {subset}")
    missing = ops.implementations() - ops.record_executions() - set(EXEMPT)
    assert not missing, (f"{len(missing)} registered op implementations never ran during the test session "
                         f"(add a test that runs each, or an EXEMPT entry saying why it cannot run "
                         f"natively): {_shown(missing)}")
