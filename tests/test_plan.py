"""The memory plan (wasm_infer/plan.py, wasm_infer/arena.py): offsets from lifetimes, the planned
run loop against the slow path, outputs that do not alias the arena,
re-planning per input-shape signature, no allocation during `run`, and what
a plan that fails to build does (WASM_INFER_PLAN: raise when strict, else
warn once) and how plan_info() reports unplanned signatures."""
import tracemalloc

import numpy as np
import pytest
from onnx import TensorProto, helper

import wasm_infer
from wasm_infer import arena, plan

from helpers import FLOAT, INT64, make_model

STRING = TensorProto.STRING


def test_assign_offsets_never_overlaps_live_buffers():
    rng = np.random.default_rng(0)
    for _ in range(50):
        bufs = []
        for _ in range(30):
            first = int(rng.integers(0, 40))
            bufs.append((int(rng.integers(1, 5000)), first, first + int(rng.integers(0, 10))))
        offsets, total = arena.assign_offsets(bufs)
        for i, (si, fi, li) in enumerate(bufs):
            assert offsets[i] % arena.ALIGN == 0 and offsets[i] + si <= total
            for j, (sj, fj, lj) in enumerate(bufs[:i]):
                if not (li < fj or lj < fi):
                    assert offsets[i] + si <= offsets[j] or offsets[j] + sj <= offsets[i]
        # sharing helps: never more than everything side by side
        assert total <= sum(-(-s // arena.ALIGN) * arena.ALIGN for s, _, _ in bufs)


def _chain_model(batch="n"):
    """NumPy-bindable ops (Add, Relu, Mul, Sigmoid, Clip, Transpose, GlobalAveragePool),
    view ops (Reshape, Flatten) and shape ops folded per signature (Shape, Gather)."""
    nodes = [helper.make_node("Add", ["x", "bias"], ["a"]),
             helper.make_node("Relu", ["a"], ["r"]),
             helper.make_node("Sigmoid", ["r"], ["s"]),
             helper.make_node("Mul", ["r", "s"], ["m"]),
             helper.make_node("Clip", ["m", "lo", "hi"], ["c"]),
             helper.make_node("Transpose", ["c"], ["t"], perm=[0, 2, 3, 1]),
             helper.make_node("Sub", ["t", "x_t"], ["d"]),
             helper.make_node("GlobalAveragePool", ["c"], ["g"]),
             helper.make_node("Shape", ["g"], ["shape"]),
             helper.make_node("Gather", ["shape", "zero"], ["n0"], axis=0),
             helper.make_node("Flatten", ["g"], ["y"]),
             helper.make_node("Reshape", ["d", "flat"], ["z"])]
    inits = {"bias": np.linspace(-1, 1, 4, dtype=np.float32).reshape(4, 1, 1),
             "lo": np.array(0.1, np.float32), "hi": np.array(0.6, np.float32),
             "x_t": np.float32(0.25), "zero": np.array(0, np.int64), "flat": np.array([-1], np.int64)}
    return make_model(nodes, [("x", FLOAT, [batch, 4, 5, 6])], [("y", FLOAT, None), ("z", FLOAT, None),
                                                                ("n0", INT64, None)], inits)


def _feeds(batch, seed=1):
    return {"x": np.random.default_rng(seed).standard_normal((batch, 4, 5, 6)).astype(np.float32)}


def test_planned_run_matches_the_slow_path(monkeypatch):
    model = _chain_model()
    monkeypatch.setenv("WASM_INFER_PLAN", "0")
    slow = wasm_infer.InferenceSession(model)
    monkeypatch.setenv("WASM_INFER_PLAN", "1")
    fast = wasm_infer.InferenceSession(model)
    for seed in range(3):          # run 1 records and plans, runs 2-3 use the plan
        for a, b in zip(fast.run(None, _feeds(2, seed)), slow.run(None, _feeds(2, seed))):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)   # GAP sums in another order
    (p,) = [p for p in fast._plans.values()]
    assert p is not None
    kinds = {op.op_type for op in p.where}
    assert {"Shape", "Gather", "Flatten", "Reshape"}.isdisjoint(kinds)   # folded or views
    info = fast.memory_info()
    assert 0 < info["arena_bytes"] <= info["plans"][0]["unshared_bytes"]
    # Relu, Mul and Clip write over their input (read last there): fewer buffers than bound outputs
    assert info["plans"][0]["buffers"] <= len(p.fns) - 3


def test_outputs_do_not_alias_the_arena():
    sess = wasm_infer.InferenceSession(_chain_model())
    sess.run(None, _feeds(1))
    y1, z1, _ = sess.run(None, _feeds(1, 5))
    keep = y1.copy(), z1.copy()
    y2, z2, _ = sess.run(None, _feeds(1, 6))
    np.testing.assert_array_equal(y1, keep[0])   # the next run did not overwrite them
    np.testing.assert_array_equal(z1, keep[1])
    y2[...] = 7                                  # nor does writing to them disturb the session
    np.testing.assert_array_equal(sess.run(None, _feeds(1, 5))[0], keep[0])


def test_replans_per_input_shape_and_caches():
    sess = wasm_infer.InferenceSession(_chain_model())
    ref = wasm_infer.InferenceSession(_chain_model())
    ref._use_plans = False
    for batch in (1, 3, 1, 3, 2):
        for a, b in zip(sess.run(None, _feeds(batch)), ref.run(None, _feeds(batch))):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert len(sess._plans) == 3
    shapes = [p["inputs"][0][0] for p in sess.memory_info()["plans"]]
    assert shapes == [[1, 4, 5, 6], [3, 4, 5, 6], [2, 4, 5, 6]]


def test_numpy_step_returning_a_view_keeps_its_arena_buffer_alive():
    # Transpose on a NumPy path returns a view; Slice does too: the buffer under
    # them must not be reused while the view is still read.
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Slice", ["r", "s0", "s1"], ["v"]),      # NumPy step, a view of r
             helper.make_node("Relu", ["x"], ["q"]),                    # could reuse r's memory...
             helper.make_node("Add", ["q", "q"], ["w"]),
             helper.make_node("Add", ["v", "w"], ["y"])]               # ...but v is read here
    inits = {"s0": np.array([0], np.int64), "s1": np.array([8], np.int64)}
    model = make_model(nodes, [("x", FLOAT, [8])], [("y", FLOAT, None)], inits)
    sess = wasm_infer.InferenceSession(model)
    x = {"x": np.arange(-4, 4, dtype=np.float32)}
    sess.run(None, x)
    np.testing.assert_array_equal(sess.run(None, x)[0], 3 * np.maximum(x["x"], 0))


def test_no_allocation_during_run_natively():
    """With every node bindable (NumPy ufuncs into the arena, views, folded shape
    ops), a planned run allocates only the returned copies of the outputs."""
    sess = wasm_infer.InferenceSession(_chain_model())
    feeds = _feeds(2)
    sess.run(None, feeds)
    p = next(iter(sess._plans.values()))
    assert all(op.op_type != "Slice" for op in p.where)
    sess.run(None, feeds)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        outs = sess.run(None, feeds)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= sum(o.nbytes for o in outs) + 4096, f"run allocated {peak} bytes"


def test_plan_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("WASM_INFER_PLAN", "0")
    sess = wasm_infer.InferenceSession(_chain_model())
    sess.run(None, _feeds(1))
    sess.run(None, _feeds(1))
    assert sess.memory_info() == {"arena_bytes": 0, "plans": []}


@pytest.mark.parametrize("runs", [1, 3])
def test_profile_run_uses_the_plan(runs):
    sess = wasm_infer.InferenceSession(_chain_model())
    for _ in range(runs):
        records = sess.profile_run(_feeds(1))
    assert {r[0] for r in records} >= {"Add", "Relu", "GlobalAveragePool"}
    assert "Shape" not in {r[0] for r in records}


# ---- a plan that fails to build: loud in strict mode, a warning otherwise ----

@pytest.fixture
def broken_sigmoid_bind(monkeypatch):
    """A planner bug on demand: Sigmoid's binder gives a bind that raises (the slow path still works).
    fuse_silu off: the chain's Mul(r, Sigmoid(r)) stays two nodes."""
    from wasm_infer import lowering

    monkeypatch.setenv("WASM_INFER_DISABLE_PASSES", "fuse_silu")

    def bind(inputs, outputs):
        raise RuntimeError("bind is broken")
    for entry in lowering.entries("", "Sigmoid"):
        real = entry.fn

        def broken(op, specs, k, real=real):
            low = real(op, specs, k)
            return lowering.Lowered(low.outputs, bind, low.name) if low else low
        monkeypatch.setattr(entry, "fn", broken)


def test_strict_mode_raises_when_a_plan_fails(monkeypatch, broken_sigmoid_bind):
    monkeypatch.setenv("WASM_INFER_PLAN", "strict")
    sess = wasm_infer.InferenceSession(_chain_model())
    for _ in range(2):          # not cached as "unplanned": every try raises
        with pytest.raises(wasm_infer.PlanError, match=r"no memory plan for inputs \[\[\[1, 4, 5, 6\], '<f4'\]\]: "
                                                       r"RuntimeError: bind is broken \(WASM_INFER_PLAN=strict\)") as e:
            sess.run(None, _feeds(1))
        assert isinstance(e.value.__cause__, RuntimeError)
    assert isinstance(e.value, wasm_infer.WasmInferError)


def test_default_mode_warns_once_and_reports_unplanned_signatures(monkeypatch, broken_sigmoid_bind):
    monkeypatch.setenv("WASM_INFER_PLAN", "1")
    sess = wasm_infer.InferenceSession(_chain_model())
    ref = wasm_infer.InferenceSession(_chain_model())
    ref._use_plans = False
    message = r"no memory plan for inputs \[\[\[1, 4, 5, 6\], '<f4'\]\]: RuntimeError: bind is broken; .* session.plan_info\(\)"
    with pytest.warns(wasm_infer.PlanWarning, match=message) as caught:
        for batch in (1, 1, 2, 2):    # two signatures fail, each once (then cached): one warning in all
            for a, b in zip(sess.run(None, _feeds(batch)), ref.run(None, _feeds(batch))):
                np.testing.assert_array_equal(a, b)
    assert len([w for w in caught if issubclass(w.category, wasm_infer.PlanWarning)]) == 1
    info = sess.plan_info()
    assert info["mode"] == "on" and info["planned"] == []
    assert info["unplanned"] == [
        {"inputs": [[[b, 4, 5, 6], "<f4"]], "reason": "building the plan failed: RuntimeError: bind is broken"}
        for b in (1, 2)]


def test_nothing_bindable_is_unplanned_without_a_failure():
    """Strict (as the suite runs) and silent: a graph with no bindable node is no plan bug."""
    nodes = [helper.make_node("TopK", ["x", "k"], ["v", "i"])]
    model = make_model(nodes, [("x", FLOAT, [5])], [("v", FLOAT, None), ("i", INT64, None)],
                       {"k": np.array([2], np.int64)})
    sess = wasm_infer.InferenceSession(model)
    (v, i) = sess.run(None, {"x": np.array([3, 1, 4, 1, 5], np.float32)})
    assert v.tolist() == [5, 4] and i.tolist() == [4, 2]
    assert sess.plan_info() == {"mode": "strict", "planned": [], "unplanned": [
        {"inputs": [[[5], "<f4"]], "reason": plan.NOTHING_BINDABLE}]}


def test_feeds_without_a_signature_are_reported_unplanned():
    model = make_model([helper.make_node("Identity", ["s"], ["t"])], [("s", STRING, [2])], [("t", STRING, None)])
    sess = wasm_infer.InferenceSession(model)
    assert sess.run(None, {"s": np.array(["a", "b"], dtype=object)})[0].tolist() == ["a", "b"]
    (entry,) = sess.plan_info()["unplanned"]
    assert entry["inputs"] == [[[2], "|O"]] and entry["reason"].startswith("a feed is not a plain numeric array")


def test_plan_info_lists_planned_signatures_and_the_mode(monkeypatch):
    sess = wasm_infer.InferenceSession(_chain_model())
    sess.run(None, _feeds(1))
    sess.run(None, _feeds(3))
    info = sess.plan_info()
    assert info["mode"] == "strict" and info["unplanned"] == []
    assert [{k: v for k, v in p.items() if k != "step_info"} for p in info["planned"]] == sess.memory_info()["plans"]
    assert len(info["planned"]) == 2
    steps = info["planned"][0]["step_info"]
    assert len(steps) == info["planned"][0]["steps"]
    assert {s["how"] for s in steps} <= {"bound", "numpy"} and all(s["note"] for s in steps)
    assert any(s["op_type"] == "Relu" and s["how"] == "bound" and s["note"] == "numpy.maximum" for s in steps)
    monkeypatch.setenv("WASM_INFER_PLAN", "0")
    off = wasm_infer.InferenceSession(_chain_model())
    off.run(None, _feeds(1))
    assert off.plan_info() == {"mode": "off", "planned": [], "unplanned": []}


def test_plan_mode_values(monkeypatch):
    for value, mode in (("1", "on"), ("strict", "strict"), (" Strict ", "strict"), ("0", "off"), ("", "off")):
        monkeypatch.setenv("WASM_INFER_PLAN", value)
        assert wasm_infer.runtime_info()["plan"] == mode
        assert wasm_infer.InferenceSession(_chain_model()).plan_info()["mode"] == mode
    monkeypatch.setenv("WASM_INFER_PLAN", "sometimes")
    with pytest.raises(ValueError, match=r"WASM_INFER_PLAN='sometimes': expected 1 \(the default\), strict or 0"):
        wasm_infer.InferenceSession(_chain_model())
    assert wasm_infer.runtime_info()["plan"].startswith("invalid: WASM_INFER_PLAN='sometimes'")


def _bound_ops(sess):
    (p,) = [p for p in sess._plans.values() if p is not None]
    return [op.op_type for op, how in zip(p.where, p.kinds) if how == "bound"], p


@pytest.mark.parametrize("head", ["Slice", "Erf", "TopK"])
def test_a_numpy_step_does_not_unbind_the_nodes_after_it(head):
    # The first node has no bind (NumPy only); its output is adopted into an
    # arena slot, so the Add/Mul/Relu after it still bind (natively: ufuncs with out=).
    # (Slice with constant bounds has since got a NumPy copy too: Slice of a computed range here)
    first = {"Slice": helper.make_node("Slice", ["x", "s0", "s1x"], ["h"]),
             "Erf": helper.make_node("Erf", ["x"], ["h"]),
             # two outputs (Split has since got a NumPy copy into the arena: it binds)
             "TopK": helper.make_node("TopK", ["x", "k"], ["h", "h2"], axis=1)}[head]
    nodes = [first,
             helper.make_node("Add", ["h", "b"], ["a"]),
             helper.make_node("Mul", ["a", "a"], ["m"]),
             helper.make_node("Sub", ["m", "b"], ["y"])]
    if head == "Slice":
        nodes.insert(0, helper.make_node("Shape", ["x"], ["s1x"], start=0, end=1))
    inits = {"b": np.float32(0.5), "s0": np.array([0], np.int64), "s1": np.array([2], np.int64),
             "k": np.array([3], np.int64)}
    model = make_model(nodes, [("x", FLOAT, [4, 4])], [("y", FLOAT, None)], inits, opset=18)
    sess = wasm_infer.InferenceSession(model)
    ref = wasm_infer.InferenceSession(model)
    ref._use_plans = False
    for seed in range(3):
        x = np.random.default_rng(seed).standard_normal((4, 4)).astype(np.float32)
        np.testing.assert_allclose(sess.run(None, {"x": x})[0], ref.run(None, {"x": x})[0], rtol=1e-6)
    bound, p = _bound_ops(sess)
    assert bound == ["Add", "Mul", "Sub"]
    assert "h" in p.adopted


def test_an_adopted_value_whose_shape_depends_on_the_data_is_replanned():
    # NonZero's output shape depends on the values: the plan adopted it at the
    # shape of the recorded run; a run with another count re-plans without it.
    nodes = [helper.make_node("Mul", ["x", "b"], ["x2"]),
             helper.make_node("NonZero", ["x2"], ["nz"]),
             helper.make_node("Cast", ["nz"], ["f"], to=FLOAT),
             helper.make_node("Add", ["f", "b"], ["y"])]
    model = make_model(nodes, [("x", FLOAT, [6])], [("y", FLOAT, None)], {"b": np.float32(1)})
    sess = wasm_infer.InferenceSession(model)
    xs = [np.array(v, np.float32) for v in ([1, 0, 2, 0, 0, 3], [1, 0, 2, 0, 0, 3], [0, 0, 0, 0, 5, 0],
                                            [1, 1, 1, 1, 1, 1], [0, 2, 0, 0, 0, 0], [0, 0, 3, 3, 0, 0])]
    for x in xs:
        (y,) = sess.run(None, {"x": x})
        np.testing.assert_array_equal(y, np.nonzero(x)[0][None].astype(np.float32) + 1)
    # nz, read by the Cast's NumPy copy, then f, read by the Add: each adopted once, then not
    assert sess._no_adopt == {(((6,), "<f4"),): {"nz", "f"}}
    assert sess.plan_info()["unplanned"] == []
    assert _bound_ops(sess)[0] == ["Mul"]       # still planned; the Add after NonZero runs in NumPy


def test_a_view_of_a_numpy_made_value_is_a_reshape_step():
    # Unsqueeze/Reshape (static axes/shape) of a NumPy step's output: the plan's
    # step is a reshape to the recorded shape (no op run), into the arena slot
    # when a bound step reads it; a NumPy-made value of another shape re-plans.
    import onnxruntime as ort
    nodes = [helper.make_node("Mul", ["x", "b"], ["x2"]),
             helper.make_node("NonZero", ["x2"], ["nz"]),                 # NumPy; shape depends on the data
             helper.make_node("Unsqueeze", ["nz", "ax"], ["u"]),          # read by a bound step: adopted
             helper.make_node("Cast", ["u"], ["f"], to=FLOAT),
             helper.make_node("Add", ["f", "b"], ["y"]),
             helper.make_node("Reshape", ["nz", "shape"], ["z"])]         # an output: stays NumPy-made
    model = make_model(nodes, [("x", FLOAT, [6])], [("y", FLOAT, None), ("z", INT64, None)],
                       {"b": np.float32(1), "ax": np.array([0], np.int64), "shape": np.array([-1], np.int64)},
                       opset=18)
    sess, ref = wasm_infer.InferenceSession(model), ort.InferenceSession(model)
    xs = [np.array(v, np.float32) for v in ([1, 0, 2, 0, 0, 3], [1, 0, 2, 0, 0, 3], [4, 0, 5, 0, 0, 6],
                                            [0, 0, 0, 0, 5, 0], [0, 0, 0, 0, 5, 0], [0, 0, 0, 0, 7, 0])]
    for i, x in enumerate(xs):
        for got, want in zip(sess.run(None, {"x": x}), ref.run(None, {"x": x})):
            np.testing.assert_array_equal(got, want)
        if i == 2:          # planned at the first shape of nz, run with the same shape
            (p,) = [p for p in sess._plans.values() if p is not None]
            views = [(s["op_type"], s["how"]) for s in p.step_info() if s["note"] == "a reshape of a NumPy-made value"]
            assert views == [("Unsqueeze", "numpy"), ("Reshape", "numpy")]
            assert "u" in p.adopted and "z" not in p.adopted
    assert sess.plan_info()["unplanned"] == []
