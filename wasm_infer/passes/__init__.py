"""Graph passes. Each module here defines `apply(graph, ctx) -> bool` (True
if it changed the graph) and `TARGETS`: the (domain, op_type) pairs a
rewrite starts from (the activation a conv absorbs, the Pad that moves into
a conv, ...), so that the pass leaves a graph with none of them unchanged
(None: it can start anywhere). `optimize` runs each stage of `STAGES` until
no pass in it changes the graph, skipping a pass while the graph has none
of its targets. A pass can be switched off by name with
WASM_INFER_DISABLE_PASSES=name,name (for debugging and for tests that
compare a graph before and after a pass)."""
import os
import warnings

from . import (eliminate_identity, eliminate_noops, fold_batchnorm, fold_constants, fold_conv_bias,
               fuse_conv_activation, fuse_gelu, fuse_hard_swish, fuse_silu, fuse_layer_norm, fuse_matmul_bias, fuse_pad_conv,
               fuse_qdq, fuse_qlinear, to_nhwc)
from . import fuse_dynamic_quant_matmul
from . import eliminate_common_subexpressions, fuse_nan_guard
from ._util import drop_unused_initializers

# The order within a stage still matters, although the stage repeats until
# nothing changes: the patterns are matched on standard ops, and a pass that
# fuses first would hide them from the others for good.
STAGES = (
    # First, on its own: QDQ patterns become int8 ops (and bad quantization
    # parameters a ModelError) before fold_constants turns the weights'
    # DequantizeLinear into float weights.
    (
        ("fuse_qdq", fuse_qdq),
        # QOperator models (QLinearConv, QLinearAdd) onto the same int8 ops.
        ("fuse_qlinear", fuse_qlinear),
    ),
    (
        # Turns computed shapes, pads and bounds into initializers, which the
        # passes below require of the values they fold in.
        ("fold_constants", fold_constants),
        # Remove nodes that would sit between the parts of a pattern.
        ("eliminate_identity", eliminate_identity),
        ("eliminate_noops", eliminate_noops),
        # MatMulInteger -> Cast -> Mul -> Add of quantize_dynamic: standard ops no other pass rewrites;
        # after fold_constants, which makes the weights' scales initializers.
        ("fuse_dynamic_quant_matmul", fuse_dynamic_quant_matmul),
        # Before fuse_conv_activation: it matches Conv, not FusedConv.
        ("fuse_pad_conv", fuse_pad_conv),
        # Before fold_batchnorm: a bias written as an Add sits between a Conv and its BatchNormalization.
        ("fold_conv_bias", fold_conv_bias),
        # Before fuse_matmul_bias and fuse_conv_activation: it folds into a
        # Conv/Gemm, which they turn into FusedConv/FusedMatMul, and it
        # removes the BatchNormalization between a Conv and its activation.
        ("fold_batchnorm", fold_batchnorm),
        # Before fuse_conv_activation, which gives the FusedMatMul its clamp.
        ("fuse_matmul_bias", fuse_matmul_bias),
        # Before fuse_conv_activation, which gives the FusedLayerNorm its clamp.
        ("fuse_layer_norm", fuse_layer_norm),
        # Before fuse_conv_activation: the Clip inside a written-out HardSwish is not the conv's activation.
        ("fuse_hard_swish", fuse_hard_swish),
        # Matches standard Div/Mul/Add around an Erf or Tanh, which nothing above rewrites.
        ("fuse_gelu", fuse_gelu),
        # x * Sigmoid(x): standard Mul/Sigmoid, which nothing above rewrites.
        ("fuse_silu", fuse_silu),
        # Where(IsNaN(s), c, s) after an attention Softmax: standard IsNaN/Where, which nothing above rewrites.
        ("fuse_nan_guard", fuse_nan_guard),
        ("fuse_conv_activation", fuse_conv_activation),
    ),
    # Once the fusions have settled, so that a merged node (now read by every
    # reader of its copies) cannot keep a pattern above from matching.
    (
        ("eliminate_common_subexpressions", eliminate_common_subexpressions),
    ),
    # A stage of its own, once the one above has settled: it rewrites
    # Conv/FusedConv into NhwcConv, which no other pass matches, and it
    # needs constant weights, which the stage above may take more than one
    # round to fold.
    (
        ("to_nhwc", to_nhwc),
    ),
)
PIPELINE = tuple(p for stage in STAGES for p in stage)   # (name, module) of every pass, in order

# Each change removes nodes or turns standard ops into internal ones, so the
# passes cannot cycle and a stage settles in a few rounds (one to three on
# the models we test). Reaching the bound means a bug: a pass that reports a
# change it did not make, or two passes undoing each other. The graph is
# valid after every pass, so optimize then warns and keeps the graph as it
# is rather than failing the model.
MAX_ROUNDS = 10


def optimize(graph, ctx, disabled=None, stages=STAGES, max_rounds=MAX_ROUNDS):
    """Run every stage over `graph` until none of its passes changes it.
    Returns the names of the passes that changed the graph, in the order
    they did (a pass once per round in which it did)."""
    if disabled is None:
        disabled = {p for p in os.environ.get("WASM_INFER_DISABLE_PASSES", "").split(",") if p}
    changed = []
    present = _op_types(graph)      # kept up to date by _settle: one walk over the graph per change
    for stage in stages:
        present = _settle([(name, p) for name, p in stage if name not in disabled], graph, ctx, max_rounds,
                          changed, present)
    if changed:
        drop_unused_initializers(graph)
    return changed


def _settle(active, graph, ctx, max_rounds, changed, present):
    """Run the passes of one stage until none changes the graph. present: the
    graph's (domain, op_type)s; returns them as the stage leaves it."""
    unchanged = 0      # passes in a row that saw the current graph and left it as it is
    for _ in range(max_rounds):
        for name, p in active:
            if unchanged == len(active):
                return present
            if p.TARGETS is not None and present.isdisjoint(p.TARGETS):
                unchanged += 1
            elif p.apply(graph, ctx):
                changed.append(name)
                present = _op_types(graph)
                unchanged = 0   # this pass too has not yet seen what it made
            else:
                unchanged += 1
    if unchanged < len(active):
        recent = list(dict.fromkeys(changed[-len(active):]))
        warnings.warn(f"graph passes did not settle after {max_rounds} rounds (still changing the graph: "
                      f"{', '.join(recent)}); the graph runs as they left it", RuntimeWarning, stacklevel=3)
    return present


def _op_types(graph):
    return {(node.domain, node.op_type) for node in graph.nodes}
