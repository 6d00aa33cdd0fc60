"""Guard mode (WASM_INFER_DEBUG=checks, wasm_infer/guards.py): guard bytes
around arena buffers, checked after every step. Natively only NumPy steps
that write with out= use the arena; tests/node/robustness.test.mjs runs the
models with the wasm kernels in this mode."""
import ctypes

import numpy as np
import pytest

import fuzz_corpus
import wasm_infer
from wasm_infer import lowering
from wasm_infer.guards import GuardError
from wasm_infer.warmup import representative_feeds


def _session(monkeypatch, model):
    monkeypatch.setenv("WASM_INFER_DEBUG", "checks")
    sess = wasm_infer.InferenceSession(model)
    return sess, representative_feeds(sess._input_info.values())


def _plan(sess):
    plans = [p for p in sess._plans.values() if p is not None]
    assert plans, "no memory plan was made"
    return plans[0]


def test_guarded_plan_gives_the_same_results(monkeypatch):
    model = fuzz_corpus.dtypes_net()
    plain = wasm_infer.InferenceSession(model)
    sess, feeds = _session(monkeypatch, model)
    want = plain.run(None, feeds)
    for _ in range(3):                     # the first run plans, the next ones run the guarded plan
        got = sess.run(None, feeds)
    plan = _plan(sess)
    assert plan.guards and all(len(g[3]) == 128 for g in plan.guards)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("where", ["after", "before"])
def test_guard_catches_an_out_of_bounds_write(monkeypatch, where):
    sess, feeds = _session(monkeypatch, fuzz_corpus.dtypes_net())
    victim = next(op for op, _, _ in sess._runner.steps if op.op_type == "Mul")
    (entry,) = [e for e in lowering.entries("", "Mul") if not e.kernel]   # natively: the NumPy binder
    real_lower = entry.fn

    def buggy_lower(op, specs, k):
        low = real_lower(op, specs, k)
        if not low or op is not victim:
            return low

        def buggy_bind(ins, outs):
            run = low.bind(ins, outs)
            out = outs[0]
            at = out.ctypes.data + out.nbytes if where == "after" else out.ctypes.data - 4

            def overrun():       # an off-by-one kernel: one float32 past the end (or before the start)
                run()
                ctypes.memset(at, 0, 4)
            return overrun
        return lowering.Lowered(low.outputs, buggy_bind, low.name)
    monkeypatch.setattr(entry, "fn", buggy_lower)
    sess.run(None, feeds)                  # records and plans (the slow path binds nothing)
    with pytest.raises(GuardError, match=f"after node .*Mul.*4 guard bytes {where} buffer 'm'"):
        sess.run(None, feeds)
    assert issubclass(GuardError, wasm_infer.WasmInferError)


def test_guards_are_off_by_default(monkeypatch):
    monkeypatch.delenv("WASM_INFER_DEBUG", raising=False)
    sess = wasm_infer.InferenceSession(fuzz_corpus.dtypes_net())
    feeds = representative_feeds(sess._input_info.values())
    sess.run(None, feeds)
    assert not hasattr(_plan(sess), "guards")
