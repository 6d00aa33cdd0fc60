"""Conv followed by Relu or Clip (constant bounds) → one FusedConv that clamps
while it writes its output, saving a pass over the tensor. FusedMatMul (see
fuse_matmul_bias) and FusedLayerNorm (fuse_layer_norm) take the clamp the
same way."""
import numpy as np

from ..ir import Node
from ..ops.internal import DOMAIN
from ._util import consumers, graph_output_names

TARGETS = frozenset({("", "Relu"), ("", "Clip")})
CLAMPED = ("FusedMatMul", "FusedLayerNorm")     # internal ops that take the clamp as attributes


def _bounds(node, graph, opset):
    if node.op_type == "Relu":
        return 0.0, np.inf
    if node.op_type != "Clip":
        return None
    if opset < 11:
        return node.attrs.get("min", -np.inf), node.attrs.get("max", np.inf)
    bounds = []
    for i, default in ((1, -np.inf), (2, np.inf)):
        name = node.inputs[i] if len(node.inputs) > i else ""
        if not name:
            bounds.append(default)
        elif name in graph.initializers and graph.initializers[name].size == 1:
            bounds.append(float(graph.initializers[name].reshape(-1)[0]))
        else:
            return None
    return tuple(bounds)


def apply(graph, ctx):
    producers = {n.outputs[0]: n for n in graph.nodes if (n.op_type == "Conv" and n.domain == "") or
                 (n.op_type in CLAMPED and n.domain == DOMAIN and "activation_min" not in n.attrs)}
    if not producers:       # nothing to fuse into: no need to map every value's readers
        return False
    uses = consumers(graph)
    outputs = graph_output_names(graph)
    removed, changed = set(), False
    for act in graph.nodes:
        if act.domain != "" or act.op_type not in ("Relu", "Clip") or not act.inputs:
            continue
        conv = producers.get(act.inputs[0])
        if conv is None or conv.outputs[0] in outputs or len(uses.get(conv.outputs[0], ())) != 1:
            continue
        bounds = _bounds(act, graph, ctx.opset(""))
        if bounds is None:
            continue
        if conv.op_type in CLAMPED:
            conv.attrs = {**conv.attrs, "activation_min": bounds[0], "activation_max": bounds[1]}
            conv.outputs = list(act.outputs)
            removed.add(id(act))
            changed = True
            continue
        fused = Node("FusedConv", conv.inputs, act.outputs,
                     {**conv.attrs, "activation_min": bounds[0], "activation_max": bounds[1]},
                     DOMAIN, conv.name)
        graph.nodes[graph.nodes.index(conv)] = fused
        removed.add(id(act))
        changed = True
    graph.nodes[:] = [n for n in graph.nodes if id(n) not in removed]
    return changed
