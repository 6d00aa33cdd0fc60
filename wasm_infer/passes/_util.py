"""Small graph queries shared by passes."""
from ..errors import UnsupportedError
from ..ops import resolve


def consumers(graph):
    """value name -> list of nodes reading it."""
    uses = {}
    for node in graph.nodes:
        for name in node.inputs:
            if name:
                uses.setdefault(name, []).append(node)
    return uses


def graph_output_names(graph):
    return {v.name for v in graph.outputs}


def drop_unused_initializers(graph):
    """Forget initializers no node, subgraph or graph output reads (weights
    that passes replaced with folded or re-laid-out copies)."""
    from ..ir import implicit_inputs
    used = graph_output_names(graph)
    for node in graph.nodes:
        used.update(node.inputs)
        used.update(implicit_inputs(node))
    for name in [n for n in graph.initializers if n not in used]:
        del graph.initializers[name]


def fresh_initializer_name(graph, base):
    """`base`, or `base_1`, `base_2`, ... : the first name no initializer has."""
    name, i = base, 0
    while name in graph.initializers:
        i += 1
        name = f"{base}_{i}"
    return name


def op_class(node, ctx):
    """The Op class that runs `node` at its opset (what GraphRunner will
    make), to read its traits; None if no implementation applies (the
    runner reports that, a pass just leaves the node alone)."""
    opset = (node.opsets or ctx.opsets).get(node.domain or "", 1)
    try:
        return resolve(node.op_type, node.domain, opset, node.name)
    except UnsupportedError:
        return None
