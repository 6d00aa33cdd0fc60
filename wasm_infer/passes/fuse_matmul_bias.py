"""MatMul by a constant 2-D B followed by Add of a constant bias [N] (or
[1, N]), and Gemm with transA = 0 and a constant B, → one FusedMatMul
(B transposed and scaled by alpha once here, bias scaled by beta), which
the GEMM kernel runs with the bias added as it writes."""
import numpy as np

from ..ir import Node
from ..ops.internal import DOMAIN
from ._util import consumers, graph_output_names, fresh_initializer_name

TARGETS = frozenset({("", "MatMul"), ("", "Gemm")})


def _bias(graph, name, n, max_rank=2):
    """The constant `name` as a bias [n] if adding it only broadcasts along columns."""
    c = graph.initializers.get(name)
    if c is None or not isinstance(c, np.ndarray) or c.dtype.kind != "f" or c.ndim > max_rank:
        return None
    if c.shape in ((n,), (1, n)):
        return c.reshape(n)
    if c.size == 1:
        return np.full(n, c.reshape(()), c.dtype)
    return None



def apply(graph, ctx):
    uses = consumers(graph)
    outputs = graph_output_names(graph)
    removed, changed = set(), False
    by_output = {n.outputs[0]: n for n in graph.nodes if n.outputs}
    for i, node in enumerate(graph.nodes):
        if node.domain != "":
            continue
        if node.op_type == "Gemm" and not node.attrs.get("transA", 0) and len(node.inputs) >= 2:
            b = graph.initializers.get(node.inputs[1])
            if b is None or b.ndim != 2 or b.dtype.kind != "f":
                continue
            b = (b.T if node.attrs.get("transB", 0) else b) * b.dtype.type(node.attrs.get("alpha", 1.0))
            inputs = [node.inputs[0], fresh_initializer_name(graph, node.inputs[1] + "_kn")]
            graph.initializers[inputs[1]] = np.ascontiguousarray(b)
            if len(node.inputs) > 2 and node.inputs[2]:
                c = _bias(graph, node.inputs[2], b.shape[1])
                if c is None:
                    del graph.initializers[inputs[1]]
                    continue
                inputs.append(fresh_initializer_name(graph, node.inputs[2] + "_beta"))
                graph.initializers[inputs[2]] = (c * c.dtype.type(node.attrs.get("beta", 1.0))).astype(b.dtype)
            graph.nodes[i] = Node("FusedMatMul", inputs, node.outputs, {}, DOMAIN, node.name)
            changed = True
        elif node.op_type == "Add" and len(node.inputs) == 2:
            for j in (0, 1):
                mm = by_output.get(node.inputs[j])
                if mm is None or mm.op_type != "MatMul" or mm.domain != "" or id(mm) in removed or \
                        mm.outputs[0] in outputs or len(uses.get(mm.outputs[0], ())) != 1:
                    continue
                b = graph.initializers.get(mm.inputs[1])
                if b is None or b.ndim != 2 or b.dtype.kind != "f":
                    continue
                c = _bias(graph, node.inputs[1 - j], b.shape[1], max_rank=1)
                if c is None or c.dtype != b.dtype:
                    continue
                name = fresh_initializer_name(graph, node.inputs[1 - j] + "_bias")
                graph.initializers[name] = c
                graph.nodes[i] = Node("FusedMatMul", [mm.inputs[0], mm.inputs[1], name], node.outputs, {},
                                      DOMAIN, mm.name or node.name)
                removed.add(id(mm))
                changed = True
                break
    graph.nodes[:] = [n for n in graph.nodes if id(n) not in removed]
    return changed
