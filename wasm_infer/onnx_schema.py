"""The messages of an ONNX model file, as the decoder in onnx_proto reads them.

A schema is (message name, {field number: (attribute name, kind or nested
schema, repeated)}). A decoded message is a `Message`: its fields as
attributes, absent ones read as protobuf's defaults. Only the fields the
runtime uses are listed; the decoder skips the others.
"""

# Field kinds. Scalars: decoded value; "packed" kinds accept both packed and
# unpacked encodings, as protobuf parsers must.
INT, FLOAT, DOUBLE, STRING, BYTES = "int", "float", "double", "string", "bytes"
# A string that is seldom written twice (a node's name, a doc string): decoded
# on its own, not through the table that makes equal names one object (see
# onnx_proto._string), which would only grow by one entry per node.
LABEL = "label"
PACKED_INT, PACKED_FLOAT, PACKED_DOUBLE, PACKED_UINT = "pint", "pfloat", "pdouble", "puint"
# Bulk integer data of tensors (int32_data, int64_data, uint64_data): decoded
# with numpy into int64 / uint64 chunks, 8 bytes per value instead of a Python
# int each (36 bytes) and no Python loop per value. The field is a list of
# chunks: numpy arrays (packed runs) and ints (unpacked values); see
# `wire_numbers.int_values`.
BULK_INT, BULK_UINT = "bint", "buint"


class Message:
    """A decoded message: fields as attributes, repeated fields as lists."""
    __slots__ = ("_schema", "__dict__")

    def __init__(self, schema):
        self._schema = schema

    def __getattr__(self, name):     # only called for a field the message does not have
        try:
            default = _defaults(self._schema)[name]
        except KeyError:
            raise AttributeError(f"{self._schema[0]} has no field {name!r}") from None
        return [] if default is _LIST else default

    def has(self, name):
        return name in self.__dict__

    def __repr__(self):
        return f"{self._schema[0]}({', '.join(sorted(self.__dict__))})"


_PACKED_KINDS = {PACKED_INT, PACKED_FLOAT, PACKED_DOUBLE, PACKED_UINT, BULK_INT, BULK_UINT}
_DEFAULTS = {INT: 0, FLOAT: 0.0, DOUBLE: 0.0, STRING: "", LABEL: "", BYTES: b""}
_LIST = object()        # the default is a new empty list
_FIELD_DEFAULTS = {}    # schema name -> {field name: default}: absent fields are read once per node or more


def _defaults(schema):
    table = _FIELD_DEFAULTS.get(schema[0])
    if table is None:
        table = _FIELD_DEFAULTS[schema[0]] = {}
        for fname, kind, repeated in schema[1].values():
            if isinstance(kind, tuple):
                table[fname] = _LIST if repeated else None     # absent message
            elif repeated or kind in _PACKED_KINDS:
                table[fname] = _LIST
            else:
                table[fname] = _DEFAULTS.get(kind)
    return table


def schema(name, fields):
    """fields: {number: (attribute name, kind or nested schema, repeated)}"""
    return (name, fields)


StringStringEntry = schema("StringStringEntryProto", {1: ("key", STRING, False), 2: ("value", STRING, False)})
OperatorSetId = schema("OperatorSetIdProto", {1: ("domain", STRING, False), 2: ("version", INT, False)})
Dimension = schema("Dimension", {1: ("dim_value", INT, False), 2: ("dim_param", STRING, False),
                                  3: ("denotation", STRING, False)})
TensorShape = schema("TensorShapeProto", {1: ("dim", Dimension, True)})
TypeProto = schema("TypeProto", {})
TensorType = schema("TypeProto.Tensor", {1: ("elem_type", INT, False), 2: ("shape", TensorShape, False)})
SequenceType = schema("TypeProto.Sequence", {1: ("elem_type", TypeProto, False)})
OptionalType = schema("TypeProto.Optional", {1: ("elem_type", TypeProto, False)})
MapType = schema("TypeProto.Map", {1: ("key_type", INT, False), 2: ("value_type", TypeProto, False)})
TypeProto[1].update({1: ("tensor_type", TensorType, False), 4: ("sequence_type", SequenceType, False),
                     5: ("map_type", MapType, False), 9: ("optional_type", OptionalType, False),
                     8: ("sparse_tensor_type", TensorType, False), 6: ("denotation", STRING, False)})
ValueInfo = schema("ValueInfoProto", {1: ("name", STRING, False), 2: ("type", TypeProto, False),
                                       3: ("doc_string", LABEL, False)})
Tensor = schema("TensorProto", {
    1: ("dims", PACKED_INT, False), 2: ("data_type", INT, False), 4: ("float_data", PACKED_FLOAT, False),
    5: ("int32_data", BULK_INT, False), 6: ("string_data", BYTES, True), 7: ("int64_data", BULK_INT, False),
    8: ("name", STRING, False), 12: ("doc_string", LABEL, False), 9: ("raw_data", BYTES, False),
    13: ("external_data", StringStringEntry, True), 14: ("data_location", INT, False),
    10: ("double_data", PACKED_DOUBLE, False), 11: ("uint64_data", BULK_UINT, False)})
SparseTensor = schema("SparseTensorProto", {1: ("values", Tensor, False), 2: ("indices", Tensor, False),
                                             3: ("dims", PACKED_INT, False)})
Graph = schema("GraphProto", {})
Attribute = schema("AttributeProto", {
    1: ("name", STRING, False), 21: ("ref_attr_name", STRING, False), 13: ("doc_string", LABEL, False),
    20: ("type", INT, False), 2: ("f", FLOAT, False), 3: ("i", INT, False), 4: ("s", BYTES, False),
    5: ("t", Tensor, False), 6: ("g", Graph, False), 22: ("sparse_tensor", SparseTensor, False),
    14: ("tp", TypeProto, False), 7: ("floats", PACKED_FLOAT, False), 8: ("ints", PACKED_INT, False),
    9: ("strings", BYTES, True), 10: ("tensors", Tensor, True), 11: ("graphs", Graph, True),
    23: ("sparse_tensors", SparseTensor, True), 15: ("type_protos", TypeProto, True)})
Node = schema("NodeProto", {1: ("input", STRING, True), 2: ("output", STRING, True), 3: ("name", LABEL, False),
                             4: ("op_type", STRING, False), 7: ("domain", STRING, False),
                             5: ("attribute", Attribute, True), 6: ("doc_string", LABEL, False),
                             8: ("overload", STRING, False)})
Graph[1].update({1: ("node", Node, True), 2: ("name", STRING, False), 5: ("initializer", Tensor, True),
                 15: ("sparse_initializer", SparseTensor, True), 10: ("doc_string", LABEL, False),
                 11: ("input", ValueInfo, True), 12: ("output", ValueInfo, True),
                 13: ("value_info", ValueInfo, True)})
Function = schema("FunctionProto", {
    1: ("name", STRING, False), 4: ("input", STRING, True), 5: ("output", STRING, True),
    6: ("attribute", STRING, True), 11: ("attribute_proto", Attribute, True), 7: ("node", Node, True),
    8: ("doc_string", LABEL, False), 9: ("opset_import", OperatorSetId, True), 10: ("domain", STRING, False),
    13: ("overload", STRING, False), 12: ("value_info", ValueInfo, True)})
Model = schema("ModelProto", {
    1: ("ir_version", INT, False), 8: ("opset_import", OperatorSetId, True), 2: ("producer_name", STRING, False),
    3: ("producer_version", STRING, False), 4: ("domain", STRING, False), 5: ("model_version", INT, False),
    6: ("doc_string", LABEL, False), 7: ("graph", Graph, False), 14: ("metadata_props", StringStringEntry, True),
    25: ("functions", Function, True)})


