"""The wire-format reader against onnx's own protobuf parser."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from wasm_infer import ModelError, ir, onnx_proto, onnx_schema

from fuzzing import encode_field as _field, encode_varint as _varint


def _model():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
    w = numpy_helper.from_array(np.arange(-3, 6, dtype=np.float32).reshape(3, 3), "w")
    ints = helper.make_tensor("ints", TensorProto.INT64, [4], [-1, 0, 2**40, -2**62])  # int64_data, varints
    floats = helper.make_tensor("floats", TensorProto.FLOAT, [2], [1.5, -2.25])      # float_data, packed
    halves = helper.make_tensor("halves", TensorProto.FLOAT16, [2], [0.5, -1])  # bit patterns in int32_data
    node = helper.make_node("Gemm", ["x", "w"], ["y"], name="gemm", alpha=0.5, transB=1,
                            doc_string="a node")
    attrs = helper.make_node("Foo", ["x"], ["z"], domain="custom", f=1.25, i=-7, s="text", ints=[1, -2, 3],
                             floats=[0.5, 2.0], strings=["a", "b"], t=numpy_helper.from_array(np.ones(2, np.int32)))
    graph = helper.make_graph([node, attrs], "g", [x], [y], [w, ints, floats, halves])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("custom", 2)],
                             producer_name="test")


def test_reader_matches_onnx():
    model = _model()
    m = onnx_proto.load_model(model.SerializeToString())
    assert m.ir_version == model.ir_version
    assert [(o.domain, o.version) for o in m.opset_import] == [("", 17), ("custom", 2)]
    assert m.producer_name == "test"
    g = m.graph
    assert [n.op_type for n in g.node] == ["Gemm", "Foo"]
    assert g.node[0].input == ["x", "w"] and g.node[0].name == "gemm"
    assert [d.dim_param for d in g.input[0].type.tensor_type.shape.dim[:1]] == ["N"]
    assert g.input[0].type.tensor_type.shape.dim[1].dim_value == 3


def test_ir_converts_tensors_and_attributes():
    model = ir.load(_model().SerializeToString())
    inits = model.graph.initializers
    np.testing.assert_array_equal(inits["w"], np.arange(-3, 6, dtype=np.float32).reshape(3, 3))
    assert inits["ints"].dtype == np.int64 and inits["ints"].tolist() == [-1, 0, 2**40, -2**62]
    assert inits["floats"].tolist() == [1.5, -2.25]
    assert inits["halves"].dtype == np.float16 and inits["halves"].tolist() == [0.5, -1]
    gemm, foo = model.graph.nodes
    assert gemm.attrs == {"alpha": 0.5, "transB": 1}
    assert foo.domain == "custom"
    assert foo.attrs["f"] == 1.25 and foo.attrs["i"] == -7 and foo.attrs["s"] == "text"
    assert foo.attrs["ints"] == [1, -2, 3] and foo.attrs["floats"] == [0.5, 2.0]
    assert foo.attrs["strings"] == ["a", "b"] and foo.attrs["t"].tolist() == [1, 1]
    assert model.opsets == {"": 17, "custom": 2}
    assert model.graph.inputs[0].shape == ("N", 3)


def test_unknown_fields_are_skipped():
    model = _model()
    model.graph.node[0].metadata_props.add(key="k", value="v")  # a field the reader does not know
    assert [n.op_type for n in ir.load(model.SerializeToString()).graph.nodes] == ["Gemm", "Foo"]


@pytest.mark.parametrize("cut", [1, 7, 50, 200, -1])
def test_truncated_model_raises_model_error(cut):
    data = _model().SerializeToString()
    with pytest.raises(ModelError):
        ir.load(data[:cut] if cut > 0 else data[:len(data) + cut])


def test_not_a_model_raises_model_error():
    for data in (b"", b"hello world, this is not a model", bytes(range(256)) * 4):
        with pytest.raises(ModelError):
            ir.load(data)


def test_field_number_zero_is_refused_where_it_stands():
    # never valid in protobuf: an all-zero file is refused at its first byte
    # (it used to be skipped as 0.5 M empty fields per MB), and so is a key 0
    # after valid fields
    with pytest.raises(ModelError, match="field number 0 at byte 0 of a ModelProto"):
        ir.load(bytes(1 << 20))
    data = _model().SerializeToString()
    with pytest.raises(ModelError, match=f"field number 0 at byte {len(data)} of a ModelProto"):
        ir.load(data + b"\x00\x00")


def test_raw_data_size_is_checked():
    model = _model()
    t = model.graph.initializer[0]
    t.raw_data = t.raw_data[:-4]
    with pytest.raises(ModelError, match="raw_data has 32 bytes"):
        ir.load(model.SerializeToString())


def test_nesting_depth_is_bounded():
    # TypeProto.sequence_type (field 4) -> Sequence.elem_type (field 1) -> TypeProto -> ...
    data = b""
    for level in range(100):
        key = 0x22 if level % 2 else 0x0A
        data = bytes([key]) + _varint(len(data)) + data
    with pytest.raises(ModelError, match="nested deeper"):
        onnx_proto.decode(memoryview(data), onnx_schema.TypeProto)


def test_real_model_parses_like_onnx(effnet_path):
    data = effnet_path.read_bytes()
    ref = onnx.load_from_string(data)
    model = ir.load(data)
    assert [n.op_type for n in model.graph.nodes] == [n.op_type for n in ref.graph.node]
    for t in ref.graph.initializer:
        np.testing.assert_array_equal(model.graph.initializers[t.name], numpy_helper.to_array(t))


def test_equal_strings_are_one_object_and_defaults_are_fresh():
    # a value's name, written by its producer and each reader, decodes to one str (memory per
    # node, and name lookups that match by identity); absent repeated fields are new lists
    nodes = [helper.make_node("Relu", [f"v{i}"], [f"v{i + 1}"], name=f"r{i}") for i in range(3)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("v0", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("v3", TensorProto.FLOAT, [2])])
    m = onnx_proto.load_model(helper.make_model(graph).SerializeToString())
    a, b, c = m.graph.node
    assert a.output[0] == "v1" and a.output[0] is b.input[0] and b.output[0] is c.input[0]
    assert a.op_type is b.op_type is c.op_type == "Relu"
    assert m.graph.input[0].name is a.input[0] and m.graph.output[0].name is c.output[0]
    a.attribute.append("changed")
    assert a.attribute == [] and b.attribute == [] and a.domain == "" and a.doc_string == ""
    with pytest.raises(AttributeError, match="NodeProto has no field 'colour'"):
        a.colour


def test_multi_byte_keys_and_lengths_and_message_ends():
    # one-byte keys and lengths are read inline; longer ones, and a length that would lie past
    # the end of its message (though not of the buffer), take the checked path
    name = "n" * 300                               # a 2-byte length
    node = helper.make_node("Relu", ["x"], ["y"], name=name)
    attr = helper.make_attribute("alpha", 0.5)     # AttributeProto.type is field 20: a 2-byte key
    node.attribute.append(attr)
    msg = onnx_proto.decode(memoryview(node.SerializeToString()), onnx_schema.Node)
    assert msg.name == name and msg.attribute[0].type == attr.type and msg.attribute[0].f == 0.5
    data = memoryview(b"\x42\x01a")                # TensorProto.name = "a", cut after its key
    assert onnx_proto.decode(data, onnx_schema.Tensor).name == "a"
    with pytest.raises(ModelError, match="truncated"):
        onnx_proto.decode(data, onnx_schema.Tensor, 0, 1)
    with pytest.raises(ModelError, match="truncated"):
        onnx_proto.decode(data, onnx_schema.Tensor, 0, 2)


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_names_read_alike_from_any_buffer_one_object_each_and_bad_utf8_is_a_model_error(kind):
    # bytes: names are sliced from the bytes and looked up by their encoding; other buffers
    # decode memoryview slices. Both share one str per name and refuse invalid UTF-8.
    long_name = "é" * 100                          # 200 bytes: a 2-byte length, the general path
    nodes = [helper.make_node("Relu", ["x"], ["t"], name="r0"), helper.make_node("Relu", ["t"], [long_name], name="r1"),
             helper.make_node("Relu", [long_name], ["y"], name="r2")]
    vi = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2]) for n in ("x", "y")]
    data = helper.make_model(helper.make_graph(nodes, "g", vi[:1], vi[1:])).SerializeToString()
    g = onnx_proto.load_model(kind(data)).graph
    assert [(n.name, n.op_type, n.input, n.output) for n in g.node] == \
        [(n.name, n.op_type, list(n.input), list(n.output)) for n in nodes]
    assert g.node[0].output[0] is g.node[1].input[0] and g.node[1].output[0] is g.node[2].input[0]
    assert g.node[0].op_type is g.node[2].op_type
    at = data.index(b"r1")
    for bad in (data[:at] + b"\xff" + data[at + 1:], data.replace("é".encode(), b"\xc3\x28")):
        with pytest.raises(ModelError, match=r"NodeProto\.(name|output|input) is not valid UTF-8"):
            onnx_proto.load_model(kind(bad))


@pytest.mark.parametrize("kind", [bytes, memoryview])
def test_node_names_and_doc_strings_are_read_on_their_own(kind):
    # A node's name and doc string are seldom written twice, so they skip the table that makes
    # equal value names one object (it would grow by a name per node): short and long ones alike,
    # with invalid UTF-8 still a ModelError.
    long_name = "nœud-" * 40                        # over 127 bytes: the general path
    nodes = [helper.make_node("Relu", ["x"], ["t"], name="r0", doc_string="first"),
             helper.make_node("Relu", ["t"], ["y"], name=long_name, doc_string="é" * 90)]
    vi = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2]) for n in ("x", "y")]
    data = helper.make_model(helper.make_graph(nodes, "g", vi[:1], vi[1:])).SerializeToString()
    g = onnx_proto.load_model(kind(data)).graph
    assert [(n.name, n.doc_string) for n in g.node] == [("r0", "first"), (long_name, "é" * 90)]
    bad = data.replace("é".encode(), b"\xc3\x28", 1)
    with pytest.raises(ModelError, match=r"NodeProto\.doc_string is not valid UTF-8"):
        onnx_proto.load_model(kind(bad))


def _as_nodes(data):
    """The graph's nodes decoded straight into ir.Nodes (as ir.load does) and as Messages."""
    made = onnx_proto.load_model(data, make_node=ir.Node).graph.node
    msgs = onnx_proto.load_model(data).graph.node
    return made, [(m.op_type, m.input, m.output, [a.name for a in m.attribute], m.domain, m.name) for m in msgs]


def _fields(node):
    return (node.op_type, node.inputs, node.outputs, [a.name for a in node.attrs], node.domain, node.name)


@pytest.mark.parametrize("kind", [bytes, memoryview])
def test_nodes_decode_straight_into_the_ir_as_the_general_decoder_reads_them(kind):
    # Short fields take the node fast path; from the first other field (a long name, an unknown
    # field, a varint) the general decoder reads the rest, and the two parts merge as protobuf
    # merges: repeated fields append, the last op_type wins.
    long_input = "i" * 200
    odd = (_field(4, b"Wrong") + _field(1, b"a") + _field(1, long_input.encode()) + _field(1, b"b")
           + _field(2, b"y") + _varint(9 << 3 | 0) + b"\x05" + _field(4, b"Relu") + _field(3, b"odd"))
    long_attr = helper.make_node("Constant", [], ["c"], name="c",
                                 value=numpy_helper.from_array(np.zeros(64, np.float32)))
    then = helper.make_graph([helper.make_node("Neg", ["x"], ["t"], name="neg")], "then", [],
                             [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2])])
    branch = helper.make_node("If", ["cond"], ["z"], name="if", then_branch=then, else_branch=then)
    meta = helper.make_node("Relu", ["x"], ["m"], name="meta", domain="d", doc_string="doc")
    meta.metadata_props.add(key="k", value="v")
    graph = helper.make_graph([long_attr, branch, meta], "g", [], [])
    nodes = b"".join(_field(1, n.SerializeToString()) for n in graph.node) + _field(1, odd)
    data = _field(7, nodes + _field(2, b"g")) + b"\x08\x08"      # ModelProto.graph, ir_version 8
    made, expected = _as_nodes(kind(data))
    assert all(type(n) is ir.Node for n in made)
    assert [_fields(n) for n in made] == expected
    assert made[3].inputs == ["a", long_input, "b"] and made[3].op_type == "Relu" and made[3].name == "odd"
    assert made[0].attrs[0].t.dims == [64] and made[2].attrs is ir.NO_ATTRS
    then_nodes = made[1].attrs[0].g.node                # subgraphs' nodes are ir.Nodes too
    assert [type(n) for n in then_nodes] == [ir.Node] and then_nodes[0].op_type == "Neg"


@pytest.mark.parametrize("bad, message", [
    (_field(4, b"\xff"), r"NodeProto\.op_type is not valid UTF-8"),
    (_field(7, b"\xc3\x28"), r"NodeProto\.domain is not valid UTF-8"),
    (_field(8, b"\xff"), r"NodeProto\.overload is not valid UTF-8"),
    (_field(6, b"\xff"), r"NodeProto\.doc_string is not valid UTF-8"),
    (_field(1, b"abc")[:-1], "truncated"),
    (b"\x02\x00", "field number 0"),
    (_field(5, b"\x02\x00"), "field number 0"),
])
def test_node_fast_path_errors_are_the_general_decoders(bad, message):
    data = _field(7, _field(1, _field(4, b"Relu") + bad) + _field(2, b"g"))
    for make_node in (None, ir.Node):
        with pytest.raises(ModelError, match=message):
            onnx_proto.load_model(data, make_node=make_node)


def test_node_nesting_depth_is_bounded_on_the_fast_path():
    # NodeProto.attribute -> AttributeProto.g -> GraphProto.node -> ...: three levels a round
    data = _field(4, b"Relu")
    for _ in range(40):
        data = _field(5, _field(6, _field(1, data)))
    with pytest.raises(ModelError, match="nested deeper"):
        onnx_proto.load_model(_field(7, _field(1, data)), make_node=ir.Node)
