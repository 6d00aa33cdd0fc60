"""Remove Identity nodes by letting their readers read the Identity's input."""
from ..ir import implicit_inputs
from ._util import graph_output_names

TARGETS = frozenset({("", "Identity")})


def apply(graph, ctx):
    # names read by subgraphs (implicitly, by name) must keep existing too
    outputs = graph_output_names(graph) | {n for node in graph.nodes for n in implicit_inputs(node)}
    rename = {}
    kept = []
    for node in graph.nodes:
        node.inputs = [rename.get(n, n) for n in node.inputs]
        if node.op_type == "Identity" and node.domain == "" and node.outputs[0] not in outputs:
            rename[node.outputs[0]] = node.inputs[0]
            continue
        kept.append(node)
    graph.nodes[:] = kept
    return bool(rename)
