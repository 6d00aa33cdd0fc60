"""The in-memory graph: Model, Graph, Node, ValueInfo.

Built from the decoded protobuf messages; passes rewrite it in place; the
session turns it into a plan. Initializers are numpy arrays.
"""
import os
import stat
import struct
from dataclasses import dataclass, field

from . import dtypes, limits, onnx_proto
from .errors import ModelError, ResourceError
from .tensor import ExternalData, sparse_to_array, to_array

# AttributeProto.AttributeType
A_FLOAT, A_INT, A_STRING, A_TENSOR, A_GRAPH, A_FLOATS, A_INTS, A_STRINGS, A_TENSORS, A_GRAPHS, \
    A_SPARSE_TENSOR, A_SPARSE_TENSORS, A_TYPE_PROTO, A_TYPE_PROTOS = range(1, 15)


@dataclass
class ValueInfo:
    name: str
    elem_type: int = 0          # ONNX element type, 0 when unknown or not a tensor
    shape: tuple = None         # ints for fixed dims, strings for symbolic, None for unknown
    kind: str = "tensor"        # tensor / sequence / optional / map / sparse_tensor
    type_name: str = ""         # a non-tensor's type as onnxruntime writes it: "seq(tensor(float))"
    map_types: tuple = None     # a map's (key element type, value element type or 0 if not a tensor)

    @property
    def type_string(self):
        if self.kind == "tensor":
            return dtypes.type_string(self.elem_type)
        return self.type_name or self.kind


@dataclass
class AttrRef:
    """An attribute of a function body that refers to the caller's attribute."""
    name: str


# The attributes of a node that has none (most nodes): one shared, read-only
# mapping instead of an empty dict per node, as the decoder makes them. Passes
# never change a node's attributes in place; they give it a new dict.
NO_ATTRS = onnx_proto.NO_ATTRS


@dataclass(slots=True)         # no __dict__: a large graph has a Node per node
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
    overridable: list = field(default_factory=list)   # ValueInfo of graph inputs that have an initializer


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
    budget: object = None       # the limits.Budget its bytes and tensors were charged to


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
    if not node.attrs:      # most nodes: no subgraph to look for
        return []
    names = {}
    for sub in subgraphs(node):
        for name in free_names(sub):
            names[name] = None
    return list(names)


def _value_info(vi):
    t = vi.type
    if t is None:
        return ValueInfo(vi.name, kind="unknown")
    if t.has("map_type"):
        value = t.map_type.value_type
        value = value.tensor_type.elem_type if value is not None and value.has("tensor_type") else 0
        return ValueInfo(vi.name, kind="map", type_name=_type_name(t), map_types=(t.map_type.key_type, value))
    for kind in ("sequence_type", "optional_type"):
        if t.has(kind):
            return ValueInfo(vi.name, kind=kind[:-5], type_name=_type_name(t))
    tt = t.tensor_type if t.has("tensor_type") else t.sparse_tensor_type
    if tt is None:
        return ValueInfo(vi.name, kind="unknown")
    shape = None
    if tt.has("shape"):
        shape = tuple(d.dim_value if d.has("dim_value") else (d.dim_param or None) for d in tt.shape.dim)
    return ValueInfo(vi.name, tt.elem_type, shape, "tensor" if t.has("tensor_type") else "sparse_tensor")


def _type_name(t, depth=0):
    """A TypeProto as onnxruntime names it: "tensor(float)", "seq(tensor(int64))",
    "optional(seq(tensor(float)))", "map(int64,tensor(float))"; "" when unknown."""
    if t is None or depth > 16:
        return ""
    for kind, name in (("tensor_type", "tensor"), ("sparse_tensor_type", "sparse_tensor")):
        if t.has(kind):
            inner = dtypes.type_string(getattr(t, kind).elem_type)
            return inner if name == "tensor" else f"sparse_{inner}"
    for kind, name in (("sequence_type", "seq"), ("optional_type", "optional")):
        if t.has(kind):
            inner = _type_name(getattr(t, kind).elem_type, depth + 1)
            return f"{name}({inner})" if inner else ""
    if t.has("map_type"):
        key = dtypes.type_string(t.map_type.key_type)[len("tensor("):-1]
        value = _type_name(t.map_type.value_type, depth + 1)
        return f"map({key},{value})" if value else ""
    return ""


class _Loader:
    """What converting one model needs besides the messages: where its
    external data lives and how much memory it has used so far."""

    def __init__(self, model_dir=None, budget=None):
        self.external = ExternalData(model_dir) if model_dir else None
        self.budget = budget if budget is not None else limits.Budget()

    def tensor(self, t, what):
        return to_array(t, what, self.external, self.budget)

    def sparse(self, sp, what):
        return sparse_to_array(sp, what, self.external, self.budget)


_FIELD_OF = {A_FLOAT: "f", A_INT: "i", A_STRING: "s", A_TENSOR: "t", A_GRAPH: "g", A_SPARSE_TENSOR: "sparse_tensor"}


def _attribute(a, where, ld):
    if a.ref_attr_name:
        return AttrRef(a.ref_attr_name)
    kind = a.type
    if kind == 0:  # old writers leave type unset: infer it from the field present
        kind = next((k for k, f in ((A_FLOAT, "f"), (A_INT, "i"), (A_STRING, "s"), (A_TENSOR, "t"),
                                    (A_GRAPH, "g"), (A_FLOATS, "floats"), (A_INTS, "ints"),
                                    (A_STRINGS, "strings"), (A_TENSORS, "tensors"), (A_GRAPHS, "graphs"))
                     if a.has(f)), 0)
    field = _FIELD_OF.get(kind)
    if field in ("t", "g", "sparse_tensor") and not a.has(field):
        raise ModelError(f"{where}: attribute {a.name!r} has type {kind} but no {field!r} value")
    if kind == A_FLOAT:
        return a.f
    if kind == A_INT:
        return a.i
    if kind == A_STRING:
        return bytes(a.s).decode("utf-8", "replace")
    if kind == A_TENSOR:
        return ld.tensor(a.t, f"{where}: attribute {a.name!r}")
    if kind == A_GRAPH:
        return _graph(a.g, f"{where}/{a.name}", ld)
    if kind == A_FLOATS:
        raw = b"".join(bytes(c) for c in a.floats)
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    if kind == A_INTS:
        return list(a.ints)
    if kind == A_STRINGS:
        return [bytes(s).decode("utf-8", "replace") for s in a.strings]
    if kind == A_TENSORS:
        return [ld.tensor(t, f"{where}: attribute {a.name!r}") for t in a.tensors]
    if kind == A_GRAPHS:
        return [_graph(g, f"{where}/{a.name}", ld) for g in a.graphs]
    if kind == A_SPARSE_TENSOR:
        return ld.sparse(a.sparse_tensor, f"{where}: attribute {a.name!r}")
    if kind in (A_TYPE_PROTO, A_TYPE_PROTOS, A_SPARSE_TENSORS):
        return a  # kept raw: only a few ops read these
    raise ModelError(f"{where}: attribute {a.name!r} has unknown type {kind}")


def _with_attributes(nodes, where, ld):
    """`nodes` (Nodes as the decoder made them, see load) with their attributes
    converted: they arrive as a list of AttributeProto messages, or NO_ATTRS."""
    for n in nodes:
        if n.attrs:     # most nodes have none: no label to format
            name = n.name or (n.outputs[0] if n.outputs else n.op_type)
            n.attrs = {a.name: _attribute(a, f"{where} node {name!r} ({n.op_type})", ld) for a in n.attrs}
    return nodes


def _graph(g, where, ld):
    return _graph_and_names(g, where, ld)[0]


def _graph_and_names(g, where, ld):
    """(Graph, the set of names its inputs, initializers and node outputs define)."""
    inits = {}
    for t in g.initializer:
        if not t.name:
            raise ModelError(f"{where}: an initializer has no name")
        inits[t.name] = ld.tensor(t, f"{where}: initializer {t.name!r}")
    for sp in g.sparse_initializer:
        name = sp.values.name if sp.has("values") else ""
        if not name:
            raise ModelError(f"{where}: a sparse initializer has no name")
        inits[name] = ld.sparse(sp, f"{where}: sparse initializer {name!r}")
    inputs = [_value_info(v) for v in g.input if v.name not in inits]
    graph = Graph(nodes=_with_attributes(g.node, where, ld), inputs=inputs,
                  outputs=[_value_info(v) for v in g.output], initializers=inits,
                  value_info={v.name: _value_info(v) for v in g.value_info}, name=g.name,
                  overridable=[_value_info(v) for v in g.input if v.name in inits])
    return graph, _check_single_assignment(graph, where)


def _check_single_assignment(graph, where):
    """What onnxruntime refuses as an invalid graph: a value defined twice (by
    two nodes, or by a node and a graph input or initializer). Without this
    the last writer would silently win. (A graph output listed twice is
    valid there: run returns it twice, as two arrays.) Returns the set of
    names the graph defines (inputs, initializers, node outputs)."""
    defined = {v.name for v in graph.inputs}
    defined.update(graph.initializers)
    count = len(defined)
    made = [o for n in graph.nodes for o in n.outputs if o]    # "": an optional output left out
    defined.update(made)        # in C: one set of every name, no per-name Python step
    if len(defined) == count + len(made):
        return defined
    # some name is defined twice: find the first repeat, to name both definitions
    first = {v.name: "a graph input" for v in graph.inputs}
    first.update((name, "an initializer") for name in graph.initializers)
    for n in graph.nodes:
        for o in n.outputs:
            if o and o in first:
                was = first[o]
                if isinstance(was, Node):
                    was = f"the output of node {was.name!r} ({was.op_type})"
                raise ModelError(f"invalid graph: {where} node {n.name!r} ({n.op_type}) writes {o!r}, which is "
                                 f"already {was}")
            first[o] = n
    raise AssertionError("unreachable: a repeated name was counted")


def from_proto(m, model_dir=None, budget=None):
    """Build a Model from a decoded ModelProto message whose nodes the decoder
    made Nodes (onnx_proto.load_model(data, make_node=Node)). model_dir: the folder
    external-data files are read from (None: external data is refused)."""
    ld = _Loader(model_dir, budget)
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
             **{a.name: _attribute(a, f"function {f.name!r}", ld) for a in f.attribute_proto}},
            _with_attributes(f.node, f"function {f.name!r}", ld),
            {o.domain or "": o.version for o in f.opset_import})
    for f in functions.values():
        made = set(f.inputs) | {o for n in f.nodes for o in n.outputs}
        for name in f.outputs:
            if name not in made:
                raise ModelError(f"invalid model: output {name!r} of function {f.name!r} is neither one of "
                                 "its inputs nor produced by a node of its body")
    graph, made = _graph_and_names(m.graph, "graph", ld)
    for v in graph.outputs:
        if not v.name or v.name not in made:
            raise ModelError(f"invalid graph: output {v.name!r} is not a graph input, an initializer or "
                             "any node's output")
    return Model(graph=graph, opsets=opsets, ir_version=m.ir_version,
                 producer=f"{m.producer_name} {m.producer_version}".strip(), functions=functions,
                 metadata={p.key: p.value for p in m.metadata_props}, budget=ld.budget)


def load(data, model_dir=None):
    """bytes → Model (model_dir: where its external data may be read from)."""
    budget = limits.Budget()
    budget.add(len(memoryview(data)) if not isinstance(data, str) else 0, "the model's bytes")
    # Each NodeProto decodes straight into a Node: no message per node in between. What
    # decoding makes is charged to the budget as it goes (onnx_proto.MESSAGE_BYTES).
    return from_proto(onnx_proto.load_model(data, make_node=Node, budget=budget), model_dir, budget)


def read_source(path_or_bytes):
    """(model bytes, model directory or None) from a path or the bytes
    themselves. A file larger than the memory budget is refused before it is
    read (ResourceError)."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return path_or_bytes, None
    try:
        path = os.fspath(path_or_bytes)
    except TypeError:
        raise ModelError(f"expected a model path or bytes, got {type(path_or_bytes).__name__}") from None
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise ModelError(f"cannot read model file {path!r}: not a regular file")
            if st.st_size > limits.budget():
                raise ResourceError(f"model file {path!r} has {st.st_size} bytes, more than the "
                                    f"{limits.budget()} that fit in wasm32 memory")
            data = f.read()
    except OSError as e:
        raise ModelError(f"cannot read model file {path!r}: {e.strerror}") from None
    return data, os.path.dirname(os.path.abspath(path))


def load_source(path_or_bytes):
    """A path or the model's bytes → Model; external data is read from the
    model file's directory (and refused for bytes)."""
    data, model_dir = read_source(path_or_bytes)
    return load(data, model_dir)
