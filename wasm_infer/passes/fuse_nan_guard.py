"""The NaN guard torch exports after an attention Softmax (to zero the rows
that a mask hides entirely, whose softmax is NaN):

    y = Where(IsNaN(s), c, s)        c: a constant with one element

→ ReplaceNaN(s, c), one elementwise pass (the f32_vreplace_nan kernel, in
place when s has no other reader) instead of an IsNaN and a Where in NumPy
with a boolean tensor between them. Exact: it computes what the two ops
compute, for NaN from any source, not only from masked rows (why it is not a
Softmax variant that writes c into fully masked rows: a row with a NaN or
+inf input also gives NaN there, and would need the same per-element
replacement). s may have other readers; the IsNaN goes when the Wheres
were its only readers."""
from ..ir import Node, implicit_inputs
from ..ops.internal import DOMAIN
from ._util import consumers, graph_output_names

TARGETS = frozenset({("", "IsNaN")})


def apply(graph, ctx):
    uses, outputs = consumers(graph), graph_output_names(graph)
    kept_names = outputs | {n for node in graph.nodes for n in implicit_inputs(node)}
    replace, removed = {}, set()
    for isnan in graph.nodes:
        if isnan.domain != "" or isnan.op_type != "IsNaN" or len(isnan.inputs) != 1 or len(isnan.outputs) != 1:
            continue
        s, m = isnan.inputs[0], isnan.outputs[0]
        readers = uses.get(m, ())
        fused = 0
        for where in readers:
            if where.domain != "" or where.op_type != "Where" or len(where.inputs) != 3 or \
                    where.inputs[0] != m or where.inputs[2] != s or id(where) in replace:
                continue
            c = graph.initializers.get(where.inputs[1])
            if c is None or c.size != 1 or c.dtype.kind != "f":
                continue
            replace[id(where)] = Node("ReplaceNaN", [s, where.inputs[1]], list(where.outputs), {}, DOMAIN,
                                      where.name or isnan.name)
            fused += 1
        # the IsNaN goes when every reader of its mask was fused (a Where reading it twice counts once)
        if fused and fused == len({id(r) for r in readers}) and m not in kept_names:
            removed.add(id(isnan))
    if not replace:
        return False
    graph.nodes[:] = [replace.get(id(n), n) for n in graph.nodes if id(n) not in removed]
    return True
