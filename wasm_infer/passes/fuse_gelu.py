"""GELU written out by exporters → one FusedGelu node (a kernel, instead of
five elementwise steps and NumPy's Erf).

The Erf form, as torch.onnx writes nn.GELU() (and others reorder):

    e = Erf(Div(x, sqrt 2) | Mul(x, 1/sqrt 2))      p = Add(e, 1)
    y = Mul(Mul(x, p), 0.5) | Mul(Mul(x, 0.5), p) | Mul(x, Mul(p, 0.5))

The tanh form (nn.GELU(approximate="tanh"), HF's NewGELU):

    c = Pow(x, 3) | Mul(x, Mul(x, x)) | Mul(Mul(x, x), x)
    t = Tanh(Mul(sqrt(2/pi), Add(x, Mul(0.044715, c))))      p = Add(t, 1)
    y as above.

Operands of Add/Mul in either order; constants are scalar initializers
(fold_constants has turned Constant nodes into them) matching to float32
precision. Every intermediate value must feed only the next node of the
pattern and not be a graph output."""
import math

import numpy as np

from ..ir import Node
from ..ops.internal import DOMAIN
from ._util import consumers, graph_output_names

TARGETS = frozenset({("", "Erf"), ("", "Tanh")})


class _Match:
    def __init__(self, graph, uses, outputs, producers):
        self.graph, self.uses, self.outputs, self.producers = graph, uses, outputs, producers
        self.nodes = []

    def scalar(self, name, want):
        c = self.graph.initializers.get(name)
        if not isinstance(c, np.ndarray) or c.dtype.kind != "f" or c.size != 1:
            return False
        return math.isclose(float(c.reshape(-1)[0]), want, rel_tol=1e-6)

    def internal(self, value):
        """The only reader of `value`, None if it has others or is a graph output."""
        readers = self.uses.get(value, ())
        return readers[0] if value not in self.outputs and len(readers) == 1 else None

    def made_by(self, value, op_type, reader):
        """The node making `value` if it is `op_type` and `reader` is its only reader."""
        node = self.producers.get(value)
        if node is None or node.domain != "" or node.op_type != op_type or self.internal(value) is not reader:
            return None
        self.nodes.append(node)
        return node

    def only_use(self, value, op_type):
        node = self.internal(value)
        if node is None or node.domain != "" or node.op_type != op_type:
            return None
        self.nodes.append(node)
        return node

    def with_scalar(self, node, want):
        """The operand of binary `node` other than a scalar constant ~ want, or None."""
        a, b = node.inputs[0], node.inputs[1]
        return b if self.scalar(a, want) else a if self.scalar(b, want) else None


def _other(node, value):
    a, b = node.inputs[0], node.inputs[1]
    return b if a == value and b != value else a if b == value and a != value else None


def _times_half_x(m, p, x):
    """The value y = x * p * 0.5 in one of the three orders, or None."""
    r = m.only_use(p, "Mul")
    if r is None:
        return None
    other = _other(r, p)
    if other == x:                                            # Mul(Mul(x, p), 0.5)
        last = m.only_use(r.outputs[0], "Mul")
        return last.outputs[0] if last is not None and m.with_scalar(last, 0.5) == r.outputs[0] else None
    if other is not None and m.with_scalar(r, 0.5) == p:     # Mul(x, Mul(p, 0.5))
        last = m.only_use(r.outputs[0], "Mul")
        return last.outputs[0] if last is not None and _other(last, r.outputs[0]) == x else None
    h = m.made_by(other, "Mul", r) if other is not None else None   # Mul(Mul(x, 0.5), p)
    return r.outputs[0] if h is not None and m.with_scalar(h, 0.5) == x else None


def _erf_form(erf, m):
    d = m.made_by(erf.inputs[0], "Div", erf) or m.made_by(erf.inputs[0], "Mul", erf)
    if d is None:
        return None
    x = d.inputs[0] if d.op_type == "Div" and m.scalar(d.inputs[1], math.sqrt(2)) else \
        m.with_scalar(d, 1 / math.sqrt(2)) if d.op_type == "Mul" else None
    add = m.only_use(erf.outputs[0], "Add") if x is not None else None
    if add is None or m.with_scalar(add, 1.0) != erf.outputs[0]:
        return None
    return x, _times_half_x(m, add.outputs[0], x)


def _cube_of(m, value, reader):
    """x if `value` is x cubed (Pow(x, 3) or two Muls), else None."""
    pw = m.made_by(value, "Pow", reader)
    if pw is not None:
        return pw.inputs[0] if m.scalar(pw.inputs[1], 3.0) else None
    mul = m.made_by(value, "Mul", reader)
    if mul is None:
        return None
    for x, sq_name in ((mul.inputs[0], mul.inputs[1]), (mul.inputs[1], mul.inputs[0])):
        sq = m.producers.get(sq_name)
        if sq is not None and sq.domain == "" and sq.op_type == "Mul" and sq.inputs == [x, x] and \
                m.internal(sq_name) is mul:
            m.nodes.append(sq)
            return x
    return None


def _tanh_form(tanh, m):
    inner = m.made_by(tanh.inputs[0], "Mul", tanh)
    s = m.with_scalar(inner, math.sqrt(2 / math.pi)) if inner is not None else None
    add = m.made_by(s, "Add", inner) if s is not None else None
    if add is None:
        return None
    for x, k_name in ((add.inputs[0], add.inputs[1]), (add.inputs[1], add.inputs[0])):
        k = m.producers.get(k_name)
        if k is None or k.domain != "" or k.op_type != "Mul" or m.internal(k_name) is not add:
            continue
        cube = m.with_scalar(k, 0.044715)
        mark = len(m.nodes)
        if cube is not None and _cube_of(m, cube, k) == x:
            m.nodes.append(k)
            one = m.only_use(tanh.outputs[0], "Add")
            if one is None or m.with_scalar(one, 1.0) != tanh.outputs[0]:
                return None
            return x, _times_half_x(m, one.outputs[0], x)
        del m.nodes[mark:]
    return None


def apply(graph, ctx):
    uses, outputs = consumers(graph), graph_output_names(graph)
    producers = {o: n for n in graph.nodes for o in n.outputs if o}
    removed, changed = set(), False
    for node in list(graph.nodes):
        if id(node) in removed or node.domain != "" or node.op_type not in ("Erf", "Tanh"):
            continue
        m = _Match(graph, uses, outputs, producers)
        found = (_erf_form if node.op_type == "Erf" else _tanh_form)(node, m)
        if not found or found[1] is None or any(id(n) in removed for n in m.nodes):
            continue
        x, y = found
        last = producers[y]
        fused = Node("FusedGelu", [x], [y], {"approximate": "none" if node.op_type == "Erf" else "tanh"},
                     DOMAIN, node.name)
        # In the place of the pattern's last node: after everything x depends on.
        graph.nodes[graph.nodes.index(last)] = fused
        removed.update(id(n) for n in [node] + m.nodes if n is not last)
        changed = True
    graph.nodes[:] = [n for n in graph.nodes if id(n) not in removed]
    return changed
