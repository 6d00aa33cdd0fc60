"""eliminate_common_subexpressions: duplicates merge (chains of them in one
call, constants compared by bytes), what must not merge stays, and the
graph computes what onnxruntime computes; on the MiniLM export, the mask's
Where of every layer becomes one."""
import collections
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import wasm_infer
from wasm_infer import ir, passes
from wasm_infer.graph_runner import Context, toposort
from wasm_infer.passes import eliminate_common_subexpressions as cse

from attention_models import tiny_bert
from helpers import FLOAT, INT64, make_model, op_counts, pass_session

ZOO = Path(__file__).resolve().parent.parent / "build" / "zoo"
PASS = "eliminate_common_subexpressions"


def _graph(model):
    m = ir.load(model)
    toposort(m.graph, [])
    return m.graph, Context(m.opsets, m.graph.initializers, None, m.functions)


def _same_as_onnxruntime(model, feeds, monkeypatch):
    on, off = pass_session(model, monkeypatch), pass_session(model, monkeypatch, [PASS])
    want = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, feeds)
    for sess in (on, off):
        for _ in range(3):          # the third run is planned (WASM_INFER_PLAN=strict: no fallback)
            got = sess.run(None, feeds)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)
    return on, off


def _duplicates_model():
    """The shape chain exporters repeat per layer, constants written once per use,
    and near-duplicates that must stay apart."""
    nodes = [
        # Shape -> Gather -> Unsqueeze, twice: the whole chain is one
        helper.make_node("Shape", ["x"], ["s1"]),
        helper.make_node("Shape", ["x"], ["s2"]),
        helper.make_node("Gather", ["s1", "i1"], ["g1"], axis=0),
        helper.make_node("Gather", ["s2", "i2"], ["g2"], axis=0),        # i2: a copy of i1's bytes
        helper.make_node("Unsqueeze", ["g1", "ax"], ["u1"]),
        helper.make_node("Unsqueeze", ["g2", "ax"], ["u2"]),
        helper.make_node("Concat", ["u1", "u2"], ["shape_out"], axis=0),
        # Where(mask, 0, -inf) per layer with its own constants: one
        helper.make_node("Where", ["m", "zero_a", "ninf_a"], ["w1"]),
        helper.make_node("Where", ["m", "zero_b", "ninf_b"], ["w2"]),
        helper.make_node("Add", ["x", "w1"], ["a1"]),
        helper.make_node("Add", ["x", "w2"], ["a2"]),                     # = a1 once w2 is w1
        helper.make_node("Sub", ["a1", "a2"], ["d"]),
        # not the same: another attribute, another constant (-0.0 is not 0.0), other input order
        helper.make_node("LeakyRelu", ["x"], ["l1"], alpha=0.1),
        helper.make_node("LeakyRelu", ["x"], ["l2"], alpha=0.2),
        helper.make_node("LeakyRelu", ["x"], ["l3"], alpha=0.1),
        helper.make_node("Add", ["x", "zero_a"], ["z1"]),
        helper.make_node("Add", ["x", "negzero"], ["z2"]),
        helper.make_node("Sub", ["x", "y"], ["o1"]),
        helper.make_node("Sub", ["y", "x"], ["o2"]),
        helper.make_node("Concat", ["l1", "l2", "l3", "z1", "z2", "o1", "o2"], ["cat"], axis=0),
        # random draws are two draws
        helper.make_node("RandomUniformLike", ["x"], ["r1"]),
        helper.make_node("RandomUniformLike", ["x"], ["r2"]),
        helper.make_node("Sub", ["r1", "r2"], ["rd"]),
        # a duplicate whose output is a graph output keeps its name
        helper.make_node("Neg", ["x"], ["n1"]),
        helper.make_node("Neg", ["x"], ["neg_out"]),
        helper.make_node("Mul", ["n1", "neg_out"], ["nn"]),
    ]
    inits = {"i1": np.array(1, np.int64), "i2": np.array(1, np.int64), "ax": np.array([0], np.int64),
             "zero_a": np.array([0], np.float32), "zero_b": np.array([0], np.float32),
             "ninf_a": np.array([-np.inf], np.float32), "ninf_b": np.array([-np.inf], np.float32),
             "negzero": np.array([-0.0], np.float32)}
    model = make_model(nodes, [("x", FLOAT, [2, 3]), ("y", FLOAT, [2, 3]), ("m", TensorProto.BOOL, [2, 3])],
                       [("shape_out", INT64, None), ("d", FLOAT, None), ("cat", FLOAT, None), ("rd", FLOAT, None),
                        ("neg_out", FLOAT, None), ("nn", FLOAT, None)], inits)
    rng = np.random.default_rng(3)
    feeds = {"x": rng.standard_normal((2, 3)).astype(np.float32), "y": rng.standard_normal((2, 3)).astype(np.float32),
             "m": rng.random((2, 3)) < 0.5}
    return model, feeds


def test_duplicates_merge_and_near_duplicates_stay():
    model, _ = _duplicates_model()
    graph, ctx = _graph(model)
    before = collections.Counter(n.op_type for n in graph.nodes)
    assert cse.apply(graph, ctx) is True
    assert cse.apply(graph, ctx) is False        # chains fold in one call: nothing left
    after = collections.Counter(n.op_type for n in graph.nodes)
    assert before - after == collections.Counter(
        {"Shape": 1, "Gather": 1, "Unsqueeze": 1, "Where": 1, "Add": 1, "LeakyRelu": 1})
    assert after["RandomUniformLike"] == 2 and after["Neg"] == 2 and after["Sub"] == 4
    # readers of the dropped copies read the kept ones
    concat = next(n for n in graph.nodes if n.outputs == ["shape_out"])
    assert concat.inputs == ["u1", "u1"]
    sub = next(n for n in graph.nodes if n.outputs == ["d"])
    assert sub.inputs == ["a1", "a1"]
    mul = next(n for n in graph.nodes if n.outputs == ["nn"])
    assert mul.inputs == ["n1", "neg_out"]        # the graph output's node was kept, not renamed
    leaky = next(n for n in graph.nodes if n.outputs == ["cat"])
    assert leaky.inputs[:3] == ["l1", "l2", "l1"]


def test_duplicates_model_computes_as_onnxruntime(monkeypatch):
    model, feeds = _duplicates_model()
    on, off = pass_session(model, monkeypatch), pass_session(model, monkeypatch, [PASS])
    want = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, feeds)
    for sess in (on, off):
        got = sess.run(None, feeds)
        for i, (g, w) in enumerate(zip(got, want)):
            if i == 3:      # two random draws: different, and of the same shape
                assert g.shape == w.shape and np.abs(g).max() > 0
            else:
                np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)
    assert op_counts(off)["Where"] == 2 and op_counts(on)["Where"] == 1


def test_subgraphs_optional_outputs_and_names_read_inside_stay():
    branch = helper.make_graph([helper.make_node("Neg", ["n2"], ["b"])], "then", [],
                               [helper.make_tensor_value_info("b", FLOAT, None)])
    other = helper.make_graph([helper.make_node("Identity", ["x"], ["c"])], "else", [],
                              [helper.make_tensor_value_info("c", FLOAT, None)])
    nodes = [
        helper.make_node("If", ["cond"], ["i1"], then_branch=branch, else_branch=other),
        helper.make_node("If", ["cond"], ["i2"], then_branch=branch, else_branch=other),
        helper.make_node("Neg", ["x"], ["n1"]),
        helper.make_node("Neg", ["x"], ["n2"]),             # read by name inside the branches
        # the second names an optional output the first leaves out
        helper.make_node("LayerNormalization", ["x", "g"], ["ln1"], axis=-1),
        helper.make_node("LayerNormalization", ["x", "g"], ["ln2", "mean"], axis=-1),
        helper.make_node("Sum", ["i1", "i2", "n1", "n2", "ln1", "ln2", "mean"], ["y"]),
    ]
    model = make_model(nodes, [("x", FLOAT, [1, 3]), ("cond", TensorProto.BOOL, [])], [("y", FLOAT, None)],
                       {"g": np.ones(3, np.float32)})
    graph, ctx = _graph(model)
    assert cse.apply(graph, ctx) is False
    assert len(graph.nodes) == len(nodes)


def test_tiny_bert_mask_where_once_and_fully_masked_rows(monkeypatch):
    model = tiny_bert(np.random.default_rng(2), layers=3)
    ids = np.array([[1, 5, 7, 9, 2], [1, 4, 2, 0, 0]], np.int64)
    mask = np.array([[1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], np.int64)   # a fully masked sequence: NaN rows zeroed
    on, off = _same_as_onnxruntime(model, {"input_ids": ids, "attention_mask": mask, "token_type_ids": 0 * ids},
                                   monkeypatch)
    # one Where(mask, 0, -inf) per layer, plus the one that makes position ids: 3 + 1 -> 1 + 1
    assert op_counts(off)["Where"] == 4 and op_counts(on)["Where"] == 2
    assert sum(op_counts(on).values()) < sum(op_counts(off).values())


@pytest.mark.skipif(not (ZOO / "minilm_l6_v2.onnx").exists(), reason="build/zoo has no MiniLM: python3 build.py zoo")
@pytest.mark.parametrize("name", ["minilm_l6_v2", "minilm_l6_v2_int8"])
def test_minilm_six_mask_wheres_become_one(name, monkeypatch):
    path = ZOO / f"{name}.onnx"
    feeds = np.load(ZOO / f"{name}.feeds.npz")
    on, off = pass_session(str(path), monkeypatch), pass_session(str(path), monkeypatch, [PASS])
    fd = {v.name: feeds[f"in{i}"] for i, v in enumerate(on.get_inputs())}
    def mask_wheres(sess):       # Where(mask, 0, -inf), one per attention layer in the export
        return [op for op, ins, _ in sess._steps if op.op_type == "Where" and ins[0] == "/Expand_output_0"]
    assert len(mask_wheres(off)) == 6 and len(mask_wheres(on)) == 1
    want = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, fd)
    got_on, got_off = on.run(None, fd), off.run(None, fd)
    for a, b, w in zip(got_on, got_off, want):
        np.testing.assert_array_equal(a, b)          # merging copies changes no value
        if name == "minilm_l6_v2":
            np.testing.assert_allclose(a, w, rtol=1e-4, atol=1e-4)


def test_pipeline_runs_it_after_the_fusions():
    names = [name for name, _ in passes.PIPELINE]
    assert names.index(PASS) > names.index("fuse_conv_activation")
    assert names.index(PASS) < names.index("to_nhwc")


def test_look_alike_initializers_are_told_apart_by_their_bytes():
    """Initializers that agree in dtype, shape and their first and last bytes but differ in the
    middle stay apart; a true copy among them merges (each array is hashed at most once)."""
    base = np.zeros(256, np.uint8)
    arrays = {}
    for i in range(2000):
        a = base.copy()
        a[128:130] = divmod(i, 256)        # the middle differs, the edges agree
        arrays[f"w{i}"] = a.view(np.float32)
    arrays["copy_of_w7"] = arrays["w7"].copy()
    canonical = cse._canonical_initializers(arrays)
    assert canonical == {"copy_of_w7": "w7"}
