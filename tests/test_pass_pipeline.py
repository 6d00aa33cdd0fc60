"""The pass pipeline (wasm_infer/passes/__init__.py): it repeats until no
pass changes the graph, runs to_nhwc after the others have settled, stops
with a warning when passes never settle, and skipping a pass whose TARGETS
the graph lacks changes nothing."""
import types

import numpy as np
import pytest
from onnx import helper

import wasm_infer
from wasm_infer import ir, passes
from wasm_infer.graph_runner import Context, toposort

from helpers import FLOAT, make_model, op_counts, pass_session
from test_passes import _conv_bn_model, _conv_net_model, _pad_conv_model


def _two_round_model():
    """Conv, BatchNormalization whose scale sits behind an inference Dropout and a
    Mul, Relu. fold_constants cannot fold the scale until eliminate_noops (after it
    in the pipeline) has removed the Dropout (not deterministic, so never folded);
    with a constant scale, the next round folds the BatchNormalization into the
    Conv and fuses the Relu."""
    rng = np.random.default_rng(11)
    nodes = [helper.make_node("Dropout", ["s0"], ["sd"]),
             helper.make_node("Mul", ["sd", "k"], ["s"]),
             helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "s", "o", "m", "v"], ["n"]),
             helper.make_node("Relu", ["n"], ["y"])]
    inits = {"w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "k": np.float32(0.5),
             "s0": rng.uniform(1, 4, 4).astype(np.float32), "o": rng.standard_normal(4).astype(np.float32),
             "m": rng.standard_normal(4).astype(np.float32), "v": rng.uniform(0.1, 3, 4).astype(np.float32)}
    model = make_model(nodes, [("x", FLOAT, [1, 3, 6, 6])], [("y", FLOAT, None)], inits)
    return model, {"x": rng.standard_normal((1, 3, 6, 6)).astype(np.float32)}


def _graph(model):
    m = ir.load(model)
    toposort(m.graph, [])
    return m.graph, Context(m.opsets, m.graph.initializers, None, m.functions)


def test_the_pipeline_repeats_until_nothing_changes(monkeypatch):
    monkeypatch.delenv("WASM_INFER_NHWC", raising=False)
    model, x = _two_round_model()
    changed = passes.optimize(*_graph(model), disabled=set())
    # fold_constants ran again after eliminate_noops, and what it folded let the fusions apply
    assert changed == ["eliminate_noops", "fold_constants", "fold_batchnorm", "fuse_conv_activation"]
    on, off = pass_session(model, monkeypatch), pass_session(model, monkeypatch, [n for n, _ in passes.PIPELINE])
    assert op_counts(on) == {"FusedConv": 1}
    assert op_counts(off) == {"Dropout": 1, "Mul": 1, "Conv": 1, "BatchNormalization": 1, "Relu": 1}
    np.testing.assert_allclose(on.run(None, x)[0], off.run(None, x)[0], rtol=1e-5, atol=1e-5)


def test_to_nhwc_runs_once_the_other_passes_have_settled(monkeypatch):
    monkeypatch.setenv("WASM_INFER_NHWC", "1")     # natively the pass is off (no kernels): force it
    model, x = _two_round_model()
    on, off = pass_session(model, monkeypatch), pass_session(model, monkeypatch, [n for n, _ in passes.PIPELINE])
    # to_nhwc could take the Conv in the first round, but waits until the second one
    # has folded the BatchNormalization and fused the Relu (NhwcConv matches no pass)
    assert op_counts(on) == {"Transpose": 2, "NhwcConv": 1}
    (conv,) = [op for op, _, _ in on._steps if op.op_type == "NhwcConv"]
    assert conv.node.attrs["activation_min"] == 0
    np.testing.assert_allclose(on.run(None, x)[0], off.run(None, x)[0], rtol=1e-5, atol=1e-5)


def test_passes_that_never_settle_stop_with_a_warning(monkeypatch):
    monkeypatch.delenv("WASM_INFER_NHWC", raising=False)
    model, _ = _two_round_model()
    graph, ctx = _graph(model)
    calls = []

    def restless(graph, ctx):     # claims a change every time, as two passes undoing each other would
        calls.append(1)
        return True
    stages = passes.STAGES + ((("restless", types.SimpleNamespace(TARGETS=None, apply=restless)),),)
    with pytest.warns(RuntimeWarning, match=r"did not settle after 3 rounds \(still changing the graph: restless\)"):
        changed = passes.optimize(graph, ctx, disabled=set(), stages=stages, max_rounds=3)
    assert len(calls) == 3 and changed[-3:] == ["restless"] * 3
    assert [n.op_type for n in graph.nodes] == ["FusedConv"]   # the stages before it did their work


def _models():
    yield _pad_conv_model()
    yield _conv_bn_model()[0]
    yield _conv_bn_model(gemm=True)[0]
    yield _conv_net_model()[0]
    yield _two_round_model()[0]
    nodes = [helper.make_node("Identity", ["x"], ["i"]), helper.make_node("Transpose", ["i"], ["t"], perm=[0, 1]),
             helper.make_node("MatMul", ["t", "w"], ["m"]), helper.make_node("Add", ["m", "b"], ["y"])]
    yield make_model(nodes, [("x", FLOAT, [2, 3])], [("y", FLOAT, None)],
                     {"w": np.ones((3, 4), np.float32), "b": np.ones(4, np.float32)})
    from tools.synthetic_models import mlp_head_if     # written-out LayerNorms (fuse_layer_norm)
    yield mlp_head_if().SerializeToString()
    from plan_chain_models import neck                 # biases as Adds, ConvTranspose, Resize/Concat/Split
    yield neck(np.random.default_rng(7))
    from test_fuse_hard_swish import hard_swish_model  # HardSwish written out
    yield hard_swish_model()
    from test_qs8 import qdq_conv                      # DequantizeLinear -> Conv -> QuantizeLinear (fuse_qdq)
    yield qdq_conv(act="Relu")
    from qoperator_models import qoperator_model       # QLinearConv, QLinearAdd (fuse_qlinear)
    yield qoperator_model()
    from attention_models import tiny_bert            # the exporter's Erf-GELU (fuse_gelu)
    yield tiny_bert(np.random.default_rng(0))
    from test_fuse_silu import silu_model              # x * Sigmoid(x) (fuse_silu)
    yield silu_model()
    from test_dynamic_quant import chain               # MatMulInteger -> Cast -> Mul -> Add (fuse_dynamic_quant_matmul)
    yield chain()


def test_a_pass_changes_nothing_in_a_graph_without_its_targets(monkeypatch, effnet_path):
    """Every pass run on every graph, whatever its TARGETS: each change it makes
    starts from a graph holding one of them, and skipping by TARGETS gives the same graph."""
    monkeypatch.setenv("WASM_INFER_NHWC", "1")
    changes = []

    def checked(name, p):
        def apply(graph, ctx):
            had = {(n.domain, n.op_type) for n in graph.nodes}
            changed = p.apply(graph, ctx)
            if changed:
                changes.append((name, p.TARGETS is None or bool(had & p.TARGETS)))
            return changed
        return name, types.SimpleNamespace(TARGETS=None, apply=apply)
    unskipped = tuple(tuple(checked(*p) for p in stage) for stage in passes.STAGES)
    for model in [*_models(), effnet_path.read_bytes()]:
        graph, ctx = _graph(model)
        passes.optimize(graph, ctx, disabled=set(), stages=unskipped)
        skipping, skip_ctx = _graph(model)
        passes.optimize(skipping, skip_ctx, disabled=set())
        assert [(n.op_type, n.inputs, n.outputs) for n in graph.nodes] == \
               [(n.op_type, n.inputs, n.outputs) for n in skipping.nodes]
    assert {name for name, _ in changes} == {name for name, _ in passes.PIPELINE}   # each pass had work
    assert [name for name, ok in changes if not ok] == []
