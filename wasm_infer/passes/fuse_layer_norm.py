"""Layer normalization written out node by node, as exporters do for
LayerNorm modules before opset 17 (and some after):

    mean = ReduceMean(x, axes=[-1])        d = Sub(x, mean)
    var  = ReduceMean(Mul(d, d) | Pow(d, 2), axes=[-1])
    y    = Div(d, Sqrt(Add(var, eps)))     [Mul(y, scale)] [Add(·, bias)]

with eps a constant scalar and scale/bias constant vectors [C] → one
FusedLayerNorm, which the normalization kernel computes in one pass over
the row (nine or eleven planned steps become one). Every intermediate value
must feed only the next node of the pattern and not be a graph output."""
import numpy as np

from ..ir import Node
from ..ops.internal import DOMAIN
from ._util import consumers, graph_output_names

TARGETS = frozenset({("", "ReduceMean")})


class _Match:
    def __init__(self, graph, uses, outputs):
        self.graph, self.uses, self.outputs = graph, uses, outputs
        self.nodes = []

    def only_use(self, value, op_types):
        """The single node reading `value` (of one of `op_types`), if `value` is internal."""
        readers = self.uses.get(value, ())
        if value in self.outputs or len(readers) != 1 or readers[0].domain != "" or \
                readers[0].op_type not in op_types:
            return None
        self.nodes.append(readers[0])
        return readers[0]

    def constant(self, name):
        c = self.graph.initializers.get(name)
        return c if isinstance(c, np.ndarray) and c.dtype.kind == "f" else None

    def other(self, node, value):
        """The input of a binary node that is not `value` (None if both are)."""
        a, b = node.inputs[0], node.inputs[1]
        return b if a == value and b != value else a if b == value and a != value else None


def _last_axis_mean(node, graph):
    """True for a ReduceMean over axes [-1] that keeps the reduced axis."""
    if node.domain != "" or node.op_type != "ReduceMean" or not node.attrs.get("keepdims", 1):
        return False
    if "axes" in node.attrs:
        axes = list(node.attrs["axes"])
    elif len(node.inputs) > 1 and node.inputs[1] in graph.initializers:
        axes = [int(a) for a in np.asarray(graph.initializers[node.inputs[1]]).reshape(-1)]
    else:
        return False
    return axes == [-1]


def _match(mean_node, m):
    """The FusedLayerNorm replacing the pattern that starts at `mean_node`, or None."""
    x = mean_node.inputs[0]
    sub = m.only_use(mean_node.outputs[0], ("Sub",))
    if sub is None or sub.inputs != [x, mean_node.outputs[0]]:
        return None
    d = sub.outputs[0]
    readers = list({id(r): r for r in m.uses.get(d, ())}.values())     # Mul(d, d) reads d twice
    if d in m.outputs or len(readers) != 2:
        return None
    square = next((r for r in readers if r.domain == "" and r.op_type in ("Mul", "Pow")), None)
    div = next((r for r in readers if r.domain == "" and r.op_type == "Div"), None)
    if square is None or div is None or square is div:
        return None
    if square.op_type == "Mul" and square.inputs != [d, d]:
        return None
    if square.op_type == "Pow":
        e = m.constant(square.inputs[1]) if square.inputs[0] == d else None
        if e is None or e.size != 1 or float(e.reshape(-1)[0]) != 2.0:
            return None
    m.nodes += [square, div]
    var = m.only_use(square.outputs[0], ("ReduceMean",))
    if var is None or not _last_axis_mean(var, m.graph):
        return None
    add = m.only_use(var.outputs[0], ("Add",))
    eps = m.constant(m.other(add, var.outputs[0]) or "") if add is not None else None
    if eps is None or eps.size != 1 or eps.ndim > 1:
        return None
    sqrt = m.only_use(add.outputs[0], ("Sqrt",))
    if sqrt is None or div.inputs != [d, sqrt.outputs[0]] or m.only_use(sqrt.outputs[0], ("Div",)) is not div:
        return None
    inputs, y = [x], div.outputs[0]
    for op_type in ("Mul", "Add"):
        nxt = m.only_use(y, (op_type,))
        c = m.constant(m.other(nxt, y) or "") if nxt is not None else None
        if c is None or c.ndim != 1:
            if nxt is not None:
                m.nodes.pop()
            break
        inputs.append(m.other(nxt, y))
        y = nxt.outputs[0]
    return Node("FusedLayerNorm", inputs, [y], {"epsilon": float(eps.reshape(-1)[0])}, DOMAIN,
                mean_node.name)


def apply(graph, ctx):
    uses, outputs = consumers(graph), graph_output_names(graph)
    removed, changed = set(), False
    for i, node in enumerate(graph.nodes):
        if id(node) in removed or not _last_axis_mean(node, graph) or not node.inputs:
            continue
        m = _Match(graph, uses, outputs)
        fused = _match(node, m)
        if fused is None or any(id(n) in removed for n in m.nodes):
            continue
        # The fused node takes the place of the last node of the pattern, so
        # it comes after everything its inputs depend on.
        last = m.nodes[-1]
        graph.nodes[graph.nodes.index(last)] = fused
        removed.update(id(n) for n in [node] + m.nodes if n is not last)
        changed = True
    graph.nodes[:] = [n for n in graph.nodes if id(n) not in removed]
    return changed
