"""fuse_nan_guard: Where(IsNaN(s), c, s) with a constant one-element c
becomes one ReplaceNaN, which computes what the two ops compute (bit for bit,
as onnxruntime does), also when s or the mask have other readers; what does
not match stays."""

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper

import wasm_infer
from wasm_infer import ir
from wasm_infer.graph_runner import Context, toposort
from wasm_infer.passes import fuse_nan_guard

from helpers import FLOAT, make_model, op_counts, pass_session

PASS = "fuse_nan_guard"


def _graph(model):
    m = ir.load(model)
    toposort(m.graph, [])
    return m.graph, Context(m.opsets, m.graph.initializers, None, m.functions)


def _attention_model(c, c_shape=(1,), dtype=np.float32):
    """Softmax of scores plus a mask of 0 / -inf (rows all -inf give NaN), then the guard."""
    elem = {np.float32: FLOAT, np.float64: TensorProto.DOUBLE}[dtype]
    nodes = [helper.make_node("Add", ["x", "mask"], ["a"]),
             helper.make_node("Softmax", ["a"], ["s"], axis=-1),
             helper.make_node("IsNaN", ["s"], ["nan"]),
             helper.make_node("Where", ["nan", "c", "s"], ["y"])]
    inits = {"c": np.full(c_shape, c, dtype)}
    return make_model(nodes, [("x", elem, [2, 3, 5]), ("mask", elem, [2, 3, 5])], [("y", elem, None)], inits)


def _feeds(dtype=np.float32):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 5)).astype(dtype)
    mask = np.where(rng.random((2, 3, 5)) < 0.3, -np.inf, 0).astype(dtype)
    mask[0, 1] = -np.inf          # a fully masked row: softmax NaN, zeroed
    x[1, 2, 3] = np.nan           # a NaN score: its whole row NaN, replaced too
    x[1, 0, 0] = np.inf           # +inf: inf - inf is NaN
    return {"x": x, "mask": mask}


def _check(model, feeds, monkeypatch):
    want = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, feeds)
    on, off = pass_session(model, monkeypatch), pass_session(model, monkeypatch, [PASS])
    for sess in (on, off):
        for _ in range(3):          # the third run is planned (WASM_INFER_PLAN=strict: no fallback)
            got = sess.run(None, feeds)
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.dtype == w.dtype
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)
            assert np.array_equal(np.isnan(g), np.isnan(w))
    return on, off


def test_guard_after_softmax_is_one_replace_nan(monkeypatch):
    model, feeds = _attention_model(0.0), _feeds()
    on, off = _check(model, feeds, monkeypatch)
    assert op_counts(off) == {"Add": 1, "Softmax": 1, "IsNaN": 1, "Where": 1}
    assert op_counts(on) == {"Add": 1, "Softmax": 1, "ReplaceNaN": 1}
    y = on.run(None, feeds)[0]
    assert (y[0, 1] == 0).all() and (y[1, 2] == 0).all() and np.isfinite(y).all()
    # planned into preallocated memory (NumPy backend: the NumPy binder)
    (plan,) = [p for p in on._plans.values() if p is not None]
    (step,) = [s for s in plan.step_info() if s["op_type"] == "ReplaceNaN"]
    assert step["how"] == "bound" and step["note"] == "numpy replace_nan"


def test_value_bits_dtype_and_broadcast_rank(monkeypatch):
    feeds = _feeds()
    for c in (-1.5, np.inf):
        _check(_attention_model(c), feeds, monkeypatch)
    # c of rank 4 > the softmax's rank 3: the output takes c's rank (the op broadcasts as Where does)
    on, _ = _check(_attention_model(0.25, (1, 1, 1, 1)), feeds, monkeypatch)
    assert on.run(None, feeds)[0].shape == (1, 2, 3, 5) and op_counts(on)["ReplaceNaN"] == 1
    on, _ = _check(_attention_model(0.0, (), np.float64), _feeds(np.float64), monkeypatch)
    assert op_counts(on)["ReplaceNaN"] == 1


def test_other_readers_of_s_and_of_the_mask():
    nodes = [helper.make_node("Softmax", ["x"], ["s"]),
             helper.make_node("IsNaN", ["s"], ["nan"]),
             helper.make_node("Where", ["nan", "c", "s"], ["y"]),
             helper.make_node("Where", ["nan", "c2", "s"], ["y2"]),      # a second guard on the same mask
             helper.make_node("Neg", ["s"], ["s_neg"])]                    # s read elsewhere: stays
    model = make_model(nodes, [("x", FLOAT, [2, 4])], [("y", FLOAT, None), ("y2", FLOAT, None), ("s_neg", FLOAT, None)],
                       {"c": np.float32(0), "c2": np.array([1], np.float32)})
    graph, ctx = _graph(model)
    assert fuse_nan_guard.apply(graph, ctx) is True
    assert [n.op_type for n in graph.nodes] == ["Softmax", "ReplaceNaN", "ReplaceNaN", "Neg"]
    assert graph.nodes[1].inputs == ["s", "c"] and graph.nodes[2].inputs == ["s", "c2"]
    assert fuse_nan_guard.apply(graph, ctx) is False

    # the mask is a graph output too: the IsNaN stays, the Where still fuses
    nodes[2:] = [helper.make_node("Where", ["nan", "c", "s"], ["y"])]
    model = make_model(nodes[:3], [("x", FLOAT, [2, 4])], [("y", FLOAT, None), ("nan", TensorProto.BOOL, None)],
                       {"c": np.float32(0)})
    graph, ctx = _graph(model)
    assert fuse_nan_guard.apply(graph, ctx) is True
    assert [n.op_type for n in graph.nodes] == ["Softmax", "IsNaN", "ReplaceNaN"]


def test_what_does_not_match_stays():
    nodes = [helper.make_node("Softmax", ["x"], ["s"]),
             helper.make_node("IsNaN", ["s"], ["nan"]),
             helper.make_node("Where", ["nan", "s", "c"], ["y1"]),     # operands swapped: keeps the NaNs
             helper.make_node("Where", ["nan", "v", "s"], ["y2"]),     # a computed value
             helper.make_node("Where", ["nan", "c3", "s"], ["y3"]),    # three elements, not one
             helper.make_node("Where", ["nan", "c", "x"], ["y4"])]     # another tensor than the tested one
    model = make_model(nodes, [("x", FLOAT, [2, 3]), ("v", FLOAT, [2, 3])],
                       [(f"y{i}", FLOAT, None) for i in range(1, 5)],
                       {"c": np.float32(0), "c3": np.zeros(3, np.float32)})
    graph, ctx = _graph(model)
    assert fuse_nan_guard.apply(graph, ctx) is False
