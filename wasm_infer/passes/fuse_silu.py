"""SiLU written out, as exporters write it (torch.nn.SiLU before opset 22 has
no ONNX op):

    y = Mul(x, Sigmoid(x))          (either operand order)

→ one FusedSilu node, which the elementwise kernel f32_vsilu computes in one
pass instead of two (and one buffer instead of two). The Sigmoid's output
must feed only that Mul and not be a graph output."""
from ..ir import Node
from ..ops.internal import DOMAIN
from ._util import consumers, graph_output_names

TARGETS = frozenset({("", "Sigmoid")})


def apply(graph, ctx):
    uses, outputs = consumers(graph), graph_output_names(graph)
    replace, removed = {}, set()
    for sig in graph.nodes:
        if sig.domain != "" or sig.op_type != "Sigmoid" or len(sig.inputs) != 1 or len(sig.outputs) != 1:
            continue
        x, s = sig.inputs[0], sig.outputs[0]
        readers = uses.get(s, ())
        if not x or s in outputs or len(readers) != 1:
            continue
        mul = readers[0]
        if mul.domain != "" or mul.op_type != "Mul" or sorted(mul.inputs) != sorted([x, s]) or \
                id(mul) in replace:
            continue
        replace[id(mul)] = Node("FusedSilu", [x], list(mul.outputs), {}, DOMAIN, mul.name or sig.name)
        removed.add(id(sig))
    if not replace:
        return False
    graph.nodes[:] = [replace.get(id(n), n) for n in graph.nodes if id(n) not in removed]
    return True
