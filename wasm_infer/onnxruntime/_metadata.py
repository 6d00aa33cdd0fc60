"""NodeArg and ModelMetadata, read from the model's header.

The header (producer, domain, doc strings, version, metadata_props, and which
graph inputs have initializers) is decoded here with a schema of those fields
only: wasm_infer's reader skips every other field by its length, so this
costs a scan of the top-level fields, not a second parse of the tensors."""
from .. import onnx_proto as pb
from .. import onnx_schema as sch
from ..errors import ModelError

_Header = sch.schema("ModelProto(header)", {
    1: ("ir_version", sch.INT, False),
    2: ("producer_name", sch.STRING, False), 3: ("producer_version", sch.STRING, False),
    4: ("domain", sch.STRING, False), 5: ("model_version", sch.INT, False), 6: ("doc_string", sch.STRING, False),
    14: ("metadata_props", sch.StringStringEntry, True),
    7: ("graph", sch.schema("GraphProto(header)", {
        2: ("name", sch.STRING, False), 10: ("doc_string", sch.STRING, False),
        5: ("initializer", sch.schema("TensorProto(name)", {8: ("name", sch.STRING, False)}), True),
        11: ("input", sch.ValueInfo, True)}), False)})

INT64_MAX = (1 << 63) - 1      # onnxruntime's model version when the model sets none


def read_header(data):
    """Decode the header fields of model bytes (ModelError when they do not parse)."""
    buf = memoryview(data)
    if buf.format != "B" or buf.ndim != 1 or not buf.contiguous:
        buf = memoryview(buf.tobytes())
    if len(buf) == 0:
        raise ModelError("empty input: not an ONNX model")
    return pb.decode(buf, _Header)


class NodeArg:
    """onnxruntime.NodeArg: name, type ("tensor(float)") and shape, always a
    list as in onnxruntime (ints, str for symbolic dims, None for unknown
    ones; [] when the model declares none)."""

    def __init__(self, name, type, shape):  # noqa: A002 (onnxruntime's name)
        self.name, self.type, self.shape = name, type, shape

    def __repr__(self):
        return f"NodeArg(name={self.name!r}, type={self.type!r}, shape={self.shape!r})"

    def __eq__(self, other):
        return isinstance(other, NodeArg) and (self.name, self.type, self.shape) == (other.name, other.type, other.shape)

    def __hash__(self):     # usable in sets and as dict keys, as onnxruntime's NodeArg is
        return hash((self.name, self.type, tuple(self.shape)))


def node_arg(info):
    """A NodeArg from wasm_infer's NodeArg or ir.ValueInfo."""
    shape = info.shape
    type_string = info.type if hasattr(info, "type") else info.type_string
    return NodeArg(info.name, type_string, [] if shape is None else [d if d != "" else None for d in shape])


class ModelMetadata:
    """onnxruntime.ModelMetadata (what InferenceSession.get_modelmeta() returns)."""

    def __init__(self, header):
        graph = header.graph
        self.producer_name = header.producer_name
        self.graph_name = graph.name if graph is not None else ""
        self.domain = header.domain
        self.description = header.doc_string
        self.graph_description = graph.doc_string if graph is not None else ""
        self.version = header.model_version if header.has("model_version") else INT64_MAX
        self.custom_metadata_map = {p.key: p.value for p in header.metadata_props}

    def __repr__(self):
        return (f"ModelMetadata(producer_name={self.producer_name!r}, graph_name={self.graph_name!r}, "
                f"domain={self.domain!r}, version={self.version})")


def overridable_initializers(header):
    """NodeArgs of the graph inputs that have an initializer (onnxruntime's overridable initializers)."""
    from .. import ir
    graph = header.graph
    if graph is None or header.ir_version < 4:     # before IR 4 an initializer listed as input is not fed
        return []
    inits = {t.name for t in graph.initializer}
    return [node_arg(ir._value_info(v)) for v in graph.input if v.name in inits]
