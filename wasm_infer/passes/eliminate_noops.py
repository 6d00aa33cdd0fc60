"""Remove nodes that compute nothing at inference: Dropout (not training,
mask unused), Transpose with the identity permutation, Cast to the type its
input already has, Reshape to the shape its input already has. Their
readers read the input instead. (Identity has its own pass.)"""
import numpy as np

from .. import dtypes
from ..ir import implicit_inputs
from ._util import consumers, graph_output_names

TARGETS = frozenset({("", "Dropout"), ("", "Transpose"), ("", "Cast"), ("", "Reshape")})


def _declared_types(graph):
    """{name: ValueInfo} of the tensors the graph declares a type for: its inputs
    (the first of a name wins) over its value_info. Made once per pass, so looking a
    value up costs one dict lookup whatever the number of inputs and value_infos."""
    types = {name: vi for name, vi in graph.value_info.items() if vi.kind == "tensor"}
    for vi in reversed(graph.inputs):
        if vi.kind == "tensor":
            types[vi.name] = vi
    return types


def _known_type(graph, name, declared):
    """(elem_type, shape) of a value when the graph states it, else (0, None)."""
    if name in graph.initializers:
        v = graph.initializers[name]
        if isinstance(v, np.ndarray) and v.dtype.names is None:
            return dtypes.ONNX_OF.get(v.dtype, 0), v.shape
        return 0, None
    vi = declared.get(name)
    return (vi.elem_type, vi.shape) if vi is not None else (0, None)


def _is_noop(node, graph, opset, uses, declared):
    op = node.op_type
    extra_used = any(o and uses.get(o) for o in node.outputs[1:])
    if op == "Dropout":
        if extra_used or opset < 7:     # before opset 7, is_test=0 meant training
            return False
        if len(node.inputs) > 2 and node.inputs[2]:
            mode = graph.initializers.get(node.inputs[2])
            return mode is not None and not bool(np.asarray(mode).reshape(()))
        return True
    if extra_used:
        return False
    if op == "Transpose":
        perm = node.attrs.get("perm")
        return perm is not None and list(perm) == list(range(len(perm)))
    if op == "Cast":
        elem, _ = _known_type(graph, node.inputs[0], declared)
        return elem != 0 and elem == node.attrs.get("to")
    if op == "Reshape" and len(node.inputs) > 1:
        _, shape = _known_type(graph, node.inputs[0], declared)
        target = graph.initializers.get(node.inputs[1])
        if shape is None or target is None or not all(isinstance(d, int) and d > 0 for d in shape):
            return False
        return [int(d) for d in np.asarray(target).reshape(-1)] == list(shape)
    return False


def apply(graph, ctx):
    keep_names = graph_output_names(graph) | {n for node in graph.nodes for n in implicit_inputs(node)}
    uses, declared = consumers(graph), _declared_types(graph)
    rename, kept = {}, []
    for node in graph.nodes:
        node.inputs = [rename.get(n, n) for n in node.inputs]
        if node.domain == "" and node.inputs and node.inputs[0] and node.outputs[0] not in keep_names \
                and _is_noop(node, graph, ctx.opset(""), uses, declared):
            rename[node.outputs[0]] = node.inputs[0]
            continue
        kept.append(node)
    graph.nodes[:] = kept
    return bool(rename)
