"""HardSwish written out, as exporters of opsets before 14 do:

    y = Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6)     (or Mul by 1/6 at the end;
                                                   any operand order)

→ one HardSwish node (x * clip(x / 6 + 1/2, 0, 1), the same to float
rounding), which the elementwise kernel computes in one pass instead of
four. The node is created at opset 14 (where HardSwish begins) whatever the
model's opset: it stands for the four nodes, not for a model op. Every
intermediate value must feed only the next node and not be a graph output."""
import numpy as np

from ..ir import Node
from ._util import consumers, graph_output_names

TARGETS = frozenset({("", "Clip")})


def _scalar(graph, name):
    c = graph.initializers.get(name) if name else None
    return float(c.reshape(-1)[0]) if isinstance(c, np.ndarray) and c.size == 1 and c.dtype.kind == "f" else None


def _other(node, value):
    a, b = node.inputs[0], node.inputs[1]
    return b if a == value else a if b == value else None


def _only_use(uses, outputs, value, op_type):
    readers = uses.get(value, ())
    if value in outputs or len(readers) != 1 or readers[0].domain != "" or readers[0].op_type != op_type:
        return None
    return readers[0]


def _clip_bounds(clip, graph, opset):
    if opset < 11:
        return clip.attrs.get("min"), clip.attrs.get("max")
    return tuple(_scalar(graph, clip.inputs[i]) if len(clip.inputs) > i else None for i in (1, 2))


def apply(graph, ctx):
    uses, outputs = consumers(graph), graph_output_names(graph)
    producers = {n.outputs[0]: n for n in graph.nodes if n.outputs}
    replace, removed = {}, set()
    for clip in graph.nodes:
        if clip.domain != "" or clip.op_type != "Clip" or _clip_bounds(clip, graph, ctx.opset("")) != (0.0, 6.0):
            continue
        add = producers.get(clip.inputs[0])
        if add is None or add.domain != "" or add.op_type != "Add" or len(add.inputs) != 2 or \
                _only_use(uses, outputs, add.outputs[0], "Clip") is not clip:
            continue
        x = next((v for v in add.inputs if _scalar(graph, _other(add, v)) == 3.0), None)
        mul = _only_use(uses, outputs, clip.outputs[0], "Mul")
        if x is None or mul is None or _other(mul, clip.outputs[0]) != x:
            continue
        last = _only_use(uses, outputs, mul.outputs[0], "Div") or _only_use(uses, outputs, mul.outputs[0], "Mul")
        if last is None or last.inputs[0] != mul.outputs[0] and last.op_type == "Div":
            continue
        scale = _scalar(graph, _other(last, mul.outputs[0]))
        if scale is None or (last.op_type == "Div" and scale != 6.0) or \
                (last.op_type == "Mul" and abs(scale - 1 / 6) > 1e-7):
            continue
        opsets = {**(last.opsets or ctx.opsets), "": max(14, (last.opsets or ctx.opsets).get("", 1))}
        replace[id(last)] = Node("HardSwish", [x], list(last.outputs), {}, "", mul.name or last.name, opsets)
        removed.update((id(add), id(clip), id(mul)))
    if not replace:
        return False
    graph.nodes[:] = [replace.get(id(n), n) for n in graph.nodes if id(n) not in removed]
    return True
