"""The in-memory graph: Model, Graph, Node, ValueInfo.

Built from the decoded protobuf messages; passes rewrite it in place; the
session turns it into a plan. Initializers are numpy arrays.
"""
from dataclasses import dataclass, field

from . import dtypes, onnx_proto
from .errors import ModelError
from .tensor import sparse_to_array, to_array

# AttributeProto.AttributeType
A_FLOAT, A_INT, A_STRING, A_TENSOR, A_GRAPH, A_FLOATS, A_INTS, A_STRINGS, A_TENSORS, A_GRAPHS, \
    A_SPARSE_TENSOR, A_SPARSE_TENSORS, A_TYPE_PROTO, A_TYPE_PROTOS = range(1, 15)


@dataclass
class ValueInfo:
    name: str
    elem_type: int = 0          # ONNX element type, 0 when unknown or not a tensor
    shape: tuple = None         # ints for fixed dims, strings for symbolic, None for unknown
    kind: str = "tensor"        # tensor / sequence / optional / map / sparse_tensor

    @property
    def type_string(self):
        return dtypes.type_string(self.elem_type) if self.kind == "tensor" else self.kind


@dataclass
class AttrRef:
    """An attribute of a function body that refers to the caller's attribute."""
    name: str


@dataclass
class Node:
    op_type: str
    inputs: list
    outputs: list
    attrs: dict = field(default_factory=dict)
    domain: str = ""
    name: str = ""
    opsets: dict = None         # set on nodes inlined from a function that imports other opsets

    def __repr__(self):
        return f"Node({self.op_type} {self.name!r}: {self.inputs} -> {self.outputs})"


@dataclass
class Graph:
    nodes: list
    inputs: list                # ValueInfo of the graph inputs that are not initializers
    outputs: list               # ValueInfo
    initializers: dict          # name -> numpy array
    value_info: dict = field(default_factory=dict)
    name: str = ""


@dataclass
class Function:
    name: str
    domain: str
    inputs: list
    outputs: list
    attributes: dict            # name -> default value (None: no default)
    nodes: list
    opsets: dict


@dataclass
class Model:
    graph: Graph
    opsets: dict                # domain -> version
    ir_version: int = 0
    producer: str = ""
    functions: dict = field(default_factory=dict)   # (domain, name) -> Function
    metadata: dict = field(default_factory=dict)


def subgraphs(node):
    """The Graph attributes of a node (If branches, Loop/Scan bodies, ...)."""
    for value in node.attrs.values():
        if isinstance(value, Graph):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, Graph))


def free_names(graph):
    """Names a graph reads from enclosing graphs (outer-scope values), in
    first-use order: read by a node or nested subgraph or listed as an
    output, but neither an input, an initializer nor produced inside."""
    defined = set(graph.initializers) | {v.name for v in graph.inputs} | {""}
    for node in graph.nodes:
        defined.update(node.outputs)
    free = {}
    for node in graph.nodes:
        for name in node.inputs:
            if name not in defined:
                free[name] = None
        for sub in subgraphs(node):
            for name in free_names(sub):
                if name not in defined:
                    free[name] = None
    for v in graph.outputs:
        if v.name not in defined:
            free[v.name] = None
    return list(free)


def implicit_inputs(node):
    """Outer-scope names the node's subgraphs read: the node depends on them
    like on its inputs (for ordering, lifetimes and passes)."""
    names = {}
    for sub in subgraphs(node):
        for name in free_names(sub):
            names[name] = None
    return list(names)


def _value_info(vi):
    t = vi.type
    if t is None:
        return ValueInfo(vi.name, kind="unknown")
    for kind in ("sequence_type", "optional_type", "map_type"):
        if t.has(kind):
            return ValueInfo(vi.name, kind=kind[:-5])
    tt = t.tensor_type if t.has("tensor_type") else t.sparse_tensor_type
    if tt is None:
        return ValueInfo(vi.name, kind="unknown")
    shape = None
    if tt.has("shape"):
        shape = tuple(d.dim_value if d.has("dim_value") else (d.dim_param or None) for d in tt.shape.dim)
    return ValueInfo(vi.name, tt.elem_type, shape, "tensor" if t.has("tensor_type") else "sparse_tensor")


def _attribute(a, where):
    if a.ref_attr_name:
        return AttrRef(a.ref_attr_name)
    kind = a.type
    if kind == 0:  # old writers leave type unset: infer it from the field present
        kind = next((k for k, f in ((A_FLOAT, "f"), (A_INT, "i"), (A_STRING, "s"), (A_TENSOR, "t"),
                                    (A_GRAPH, "g"), (A_FLOATS, "floats"), (A_INTS, "ints"),
                                    (A_STRINGS, "strings"), (A_TENSORS, "tensors"), (A_GRAPHS, "graphs"))
                     if a.has(f)), 0)
    if kind == A_FLOAT:
        return a.f
    if kind == A_INT:
        return a.i
    if kind == A_STRING:
        return bytes(a.s).decode("utf-8", "replace")
    if kind == A_TENSOR:
        return to_array(a.t, f"{where}: attribute {a.name!r}")
    if kind == A_GRAPH:
        return _graph(a.g, f"{where}/{a.name}")
    if kind == A_FLOATS:
        import struct
        raw = b"".join(bytes(c) for c in a.floats)
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    if kind == A_INTS:
        return list(a.ints)
    if kind == A_STRINGS:
        return [bytes(s).decode("utf-8", "replace") for s in a.strings]
    if kind == A_TENSORS:
        return [to_array(t, f"{where}: attribute {a.name!r}") for t in a.tensors]
    if kind == A_GRAPHS:
        return [_graph(g, f"{where}/{a.name}") for g in a.graphs]
    if kind == A_SPARSE_TENSOR:
        return sparse_to_array(a.sparse_tensor, f"{where}: attribute {a.name!r}")
    if kind in (A_TYPE_PROTO, A_TYPE_PROTOS, A_SPARSE_TENSORS):
        return a  # kept raw: only a few ops read these
    raise ModelError(f"{where}: attribute {a.name!r} has unknown type {kind}")


def _node(n, where):
    name = n.name or (n.output[0] if n.output else n.op_type)
    attrs = {a.name: _attribute(a, f"{where} node {name!r} ({n.op_type})") for a in n.attribute}
    return Node(n.op_type, list(n.input), list(n.output), attrs, n.domain, n.name)


def _graph(g, where="graph"):
    inits = {}
    for t in g.initializer:
        if not t.name:
            raise ModelError(f"{where}: an initializer has no name")
        inits[t.name] = to_array(t, f"{where}: initializer {t.name!r}")
    for sp in g.sparse_initializer:
        name = sp.values.name if sp.has("values") else ""
        inits[name] = sparse_to_array(sp, f"{where}: sparse initializer {name!r}")
    inputs = [_value_info(v) for v in g.input if v.name not in inits]
    return Graph(nodes=[_node(n, where) for n in g.node], inputs=inputs,
                 outputs=[_value_info(v) for v in g.output], initializers=inits,
                 value_info={v.name: _value_info(v) for v in g.value_info}, name=g.name)


def from_proto(m):
    """Build a Model from a decoded ModelProto message."""
    if not m.has("graph"):
        raise ModelError("not an ONNX model: it has no graph (is this really a .onnx file?)")
    opsets = {o.domain or "": o.version for o in m.opset_import}
    if m.ir_version >= 3 and not opsets:
        raise ModelError("invalid model: it declares no opset_import")
    functions = {}
    for f in m.functions:
        functions[(f.domain, f.name)] = Function(
            f.name, f.domain, list(f.input), list(f.output),
            {**{name: None for name in f.attribute},
             **{a.name: _attribute(a, f"function {f.name!r}") for a in f.attribute_proto}},
            [_node(n, f"function {f.name!r}") for n in f.node],
            {o.domain or "": o.version for o in f.opset_import})
    return Model(graph=_graph(m.graph), opsets=opsets, ir_version=m.ir_version,
                 producer=f"{m.producer_name} {m.producer_version}".strip(), functions=functions,
                 metadata={p.key: p.value for p in m.metadata_props})


def load(data):
    """bytes → Model."""
    return from_proto(onnx_proto.load_model(data))
