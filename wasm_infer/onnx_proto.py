"""A small reader for the protobuf wire format of ONNX models.

No dependency on `onnx` or `protobuf`: Pyodide has neither for every version we
target. Messages (their schemas: onnx_schema) decode into `Message` objects
(attribute access, defaults for absent fields); NodeProtos, when the caller asks, straight into its own node
objects (see load_model), as a large graph is mostly nodes. Bulk data
(raw_data, packed numbers) stays as memoryview slices of the input so that a
large model is not copied. Every length is checked
against the bytes that remain and nesting depth is bounded, so a corrupt file
raises `ModelError` instead of reading garbage.
"""
import struct
import types

from .errors import ModelError
from .onnx_schema import (BULK_INT, BULK_UINT, BYTES, DOUBLE, FLOAT, INT, LABEL, PACKED_DOUBLE, PACKED_FLOAT,
                          PACKED_INT, PACKED_UINT, STRING, Attribute, Message, Model, Node)
from .wire_numbers import bulk_varints, packed_varints, signed, varint

MAX_DEPTH = 64

# What decoding makes, charged against the model's memory budget (see load_model) as it goes:
# each message (a Message and its __dict__, or a node with its lists) and each item of a
# repeated field (a list slot, and for numbers an int; for bytes a memoryview slice, about a
# message's size), at about their sizes in Pyodide's wasm32 heap, where the budget matters:
# charged / held (tracemalloc, in Pyodide) 0.9-1.4 for the zoo's models, a chain of nodes and
# most of tests/hostile_models.decoding_bombs; more (up to 6) where the interpreter shares
# objects, as small ints. 64-bit CPython's objects are about twice as large. A field takes
# 2 bytes at least, so without this a file of empty messages or numbers decoded into 20-100
# times its size (natively, a 5 MiB file of 250,000 value_infos made 430 MiB).
MESSAGE_BYTES, ITEM_BYTES = 128, 24
# A distinct string (a name: copies share one object, see _string): the str, its key in the
# table of strings and the table's entry, plus twice its length (the str and the key).
STRING_BYTES = 48
_FLUSH = 1 << 16        # a message's own charge is added up to the total at least this often

# A node's attributes when it has none (most nodes): one shared, read-only
# mapping instead of an empty container per node (see _node).
NO_ATTRS = types.MappingProxyType({})
_PACKED_FIXED = {PACKED_FLOAT: ("<f", 4), PACKED_DOUBLE: ("<d", 8)}


def _skip(buf, pos, end, wire):
    if wire == 0:
        return varint(buf, pos, end)[1]
    if wire == 1:
        pos += 8
    elif wire == 5:
        pos += 4
    elif wire == 2:
        n, pos = varint(buf, pos, end)
        pos += n
    else:
        raise ModelError(f"corrupt model: unsupported protobuf wire type {wire}")
    if pos > end:
        raise ModelError("truncated model: a field runs past the end of its message")
    return pos


_new = object.__new__
_SHORT_FIELDS = {}      # schema name -> {one-byte key of a string or message field, wire type 2: its spec}


def _short_fields(schema):
    table = _SHORT_FIELDS[schema[0]] = {number << 3 | 2: spec for number, spec in schema[1].items()
                                        if number < 16 and (spec[1] in (STRING, LABEL) or isinstance(spec[1], tuple))}
    return table


class _Decoding:
    """What one decode shares: `strings`, the table that makes equal strings
    one object (see _string); `raw`, the same bytes as a `bytes` object, or
    None; `make_node`, what each NodeProto becomes, or None (see load_model);
    and the bytes charged so far for the objects made (see MESSAGE_BYTES)
    against `budget` (a limits.Budget, or None: no limit)."""
    __slots__ = ("strings", "raw", "make_node", "budget", "charged", "left")

    def __init__(self, raw=None, make_node=None, budget=None):
        self.strings, self.raw, self.make_node, self.budget, self.charged = {}, raw, make_node, budget, 0
        self.left = budget.limit - budget.used if budget is not None else float("inf")

    def overrun(self, schema):
        """Raises the budget's ResourceError, naming the kind of message that overran it."""
        self.budget.add(self.charged, f"decoding message {schema[0]}, with about {self.charged / 2**20:.1f} MiB "
                                      "of Python objects made")
        raise AssertionError("unreachable: the budget was overrun")


def decode(buf, schema, pos=0, end=None, depth=0, st=None):
    """Decode the message with `schema` from buf[pos:end]. st: the
    _Decoding this message is part of (None: a new one, with no budget)."""
    end = len(buf) if end is None else end
    if st is None:
        st = _Decoding()
    if schema is Node and st.make_node is not None:
        return _node(buf, pos, end, depth, st)
    return _message(buf, schema, pos, end, depth, st)


def _message(buf, schema, pos, end, depth, st):
    """decode() into a Message."""
    if depth > MAX_DEPTH:
        raise ModelError(f"corrupt model: messages nested deeper than {MAX_DEPTH} levels")
    strings, raw = st.strings, st.raw
    made = MESSAGE_BYTES    # this message's charge (see MESSAGE_BYTES), added to st.charged at its end
    msg = _new(Message)     # Message(schema) without a Python-level __init__ call per message
    msg._schema = schema
    fields = schema[1]
    short = _SHORT_FIELDS.get(schema[0]) or _short_fields(schema)
    d = msg.__dict__
    while pos < end:
        key = buf[pos]              # one-byte keys and lengths (most of them) without a call
        if key < 0x80:
            pos += 1
            spec = short.get(key)
            # Fast path for the most common fields of a model by far, a string (names of values,
            # nodes and ops) or a message (a node) of under 128 bytes: one lookup of the key
            # byte instead of the general path's tests. Anything else takes the general path.
            if spec is not None and pos < end and buf[pos] < 0x80:
                stop = pos + 1 + buf[pos]
                if stop <= end:
                    name, kind, repeated = spec
                    if kind is STRING:
                        if raw is not None:     # _string, inline: most names are copies, found here
                            key = raw[pos + 1:stop]
                            value = strings.get(key)
                            if value is None:
                                value = _new_string(key, st, schema, name)
                        else:
                            value = _string(buf, st, pos + 1, stop, schema, name)
                    elif kind is LABEL:
                        value = _label(buf, raw, pos + 1, stop, schema, name)
                    else:
                        value = decode(buf, kind, pos + 1, stop, depth + 1, st)
                    pos = stop
                    if repeated:
                        values = d.get(name)
                        if values is None:
                            d[name] = [value]
                        else:
                            values.append(value)
                        made += ITEM_BYTES
                        if made > _FLUSH:
                            made = _charge(st, made, schema)
                    else:
                        d[name] = value
                    continue
        else:
            key, pos = varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:     # never valid in protobuf: stop at once (an all-zero file is not scanned byte by byte)
            raise ModelError(f"corrupt model: field number 0 at byte {pos - 1} of a {schema[0]} message")
        spec = fields.get(number)
        if spec is None:
            pos = _skip(buf, pos, end, wire)
            continue
        name, kind, repeated = spec
        if wire == 2:
            if pos < end and buf[pos] < 0x80:
                n = buf[pos]
                pos += 1
            else:
                n, pos = varint(buf, pos, end)
            stop = pos + n
            if stop > end:
                raise ModelError(f"truncated model: field {schema[0]}.{name} claims {n} bytes, "
                                 f"only {end - pos} remain")
            if kind == STRING:
                value = _string(buf, st, pos, stop, schema, name)
            elif kind == LABEL:
                value = _label(buf, raw, pos, stop, schema, name)
            elif isinstance(kind, tuple):
                value = decode(buf, kind, pos, stop, depth + 1, st)
            elif kind == BYTES:
                value = buf[pos:stop]
                made += MESSAGE_BYTES - ITEM_BYTES     # a memoryview costs about a message (see MESSAGE_BYTES)
            elif kind in _PACKED_FIXED:
                fmt, size = _PACKED_FIXED[kind]
                if n % size:
                    raise ModelError(f"corrupt model: packed {schema[0]}.{name} has {n} bytes, "
                                     f"not a multiple of {size}")
                d.setdefault(name, []).append(buf[pos:stop])  # memoryview chunk; joined by users
                made += MESSAGE_BYTES
                if made > _FLUSH:
                    made = _charge(st, made, schema)
                pos = stop
                continue
            elif kind in (PACKED_INT, PACKED_UINT):
                # a Python int per number, at most one a byte: charged before they are made
                made = _charge(st, made + ITEM_BYTES * n, schema)
                d.setdefault(name, []).extend(packed_varints(buf, pos, stop, kind == PACKED_INT))
                pos = stop
                continue
            elif kind in (BULK_INT, BULK_UINT):
                # an int64 per number, at most one a byte: charged before they are made
                made = _charge(st, made + MESSAGE_BYTES + 8 * n, schema)
                d.setdefault(name, []).append(bulk_varints(buf, pos, stop, kind == BULK_INT))
                pos = stop
                continue
            else:
                raise ModelError(f"corrupt model: {schema[0]}.{name} has wire type 2, expected {kind}")
            pos = stop
        elif wire == 0 and kind in (INT, PACKED_INT, PACKED_UINT, BULK_INT, BULK_UINT):
            v, pos = varint(buf, pos, end)
            value = v & 0xFFFFFFFFFFFFFFFF if kind in (PACKED_UINT, BULK_UINT) else signed(v)
        elif wire == 5 and kind in (FLOAT, PACKED_FLOAT):
            if pos + 4 > end:
                raise ModelError(f"truncated model: {schema[0]}.{name} runs past the end")
            value = struct.unpack_from("<f", buf, pos)[0]
            pos += 4
            if kind == PACKED_FLOAT:
                value = struct.pack("<f", value)
        elif wire == 1 and kind in (DOUBLE, PACKED_DOUBLE):
            if pos + 8 > end:
                raise ModelError(f"truncated model: {schema[0]}.{name} runs past the end")
            value = struct.unpack_from("<d", buf, pos)[0]
            pos += 8
            if kind == PACKED_DOUBLE:
                value = struct.pack("<d", value)
        else:
            raise ModelError(f"corrupt model: {schema[0]}.{name} has wire type {wire}, expected {kind}")
        if repeated or (wire != 2 and kind not in (INT, FLOAT, DOUBLE)):    # a packed kind's numbers one a field
            values = d.get(name)
            if values is None:
                d[name] = [value]
            else:
                values.append(value)
            made += ITEM_BYTES
            if made > _FLUSH:
                made = _charge(st, made, schema)
        else:
            d[name] = value
    st.charged += made      # _charge, inline: once per message
    if st.charged > st.left:
        st.overrun(schema)
    return msg


def _charge(st, made, schema):
    """Add `made` bytes to what the decoding `st` has charged; ResourceError
    past its budget. Returns 0: what the caller has left to charge."""
    st.charged += made
    if st.charged > st.left:
        st.overrun(schema)
    return 0


def _node(buf, pos, end, depth, st):
    """A NodeProto as make_node(op_type, inputs, outputs, attributes, domain,
    name), with no Message in between: a large graph is mostly nodes, and
    most nodes are a few short strings (one-byte keys and lengths), read
    here in one loop. attributes: a list of AttributeProto Messages, or
    NO_ATTRS. From the first field that is not of that kind (a long field,
    a varint key, another wire type, an unknown field) to the end, the
    general decoder reads the rest, which merges as protobuf merges two
    parts of one message: repeated fields append, a scalar read later wins."""
    strings, raw = st.strings, st.raw
    if depth > MAX_DEPTH or raw is None or end - pos > _FLUSH:
        # no fast path: the general decoder reads it all (and charges a node of many
        # names for them as it goes, where this loop would charge them at the end)
        pos_fast = pos
    else:
        pos_fast = end
    inputs, outputs, attrs = [], [], NO_ATTRS
    op_type = domain = name = ""
    while pos < pos_fast:
        key = raw[pos]
        if key < 0x0A or key > 0x42 or key & 7 != 2 or pos + 1 >= end or raw[pos + 1] >= 0x80:
            break       # not a field 1-8 with wire type 2, a one-byte key and a length under 128
        stop = pos + 2 + raw[pos + 1]
        if stop > end:
            break
        pos += 2
        if key <= 0x12:     # 1 input, 2 output: shared strings (see _string), the most common fields
            value = strings.get(raw[pos:stop])
            if value is None:
                value = _new_string(raw[pos:stop], st, Node, "input" if key == 0x0A else "output")
            (inputs if key == 0x0A else outputs).append(value)
        elif key == 0x1A:   # 3: name (a LABEL), decoded inline: one per node
            try:
                name = str(raw[pos:stop], "utf-8")
            except UnicodeDecodeError:
                _label(buf, raw, pos, stop, Node, "name")   # raises the ModelError
        elif key == 0x2A:   # 5: attribute
            a = decode(buf, Attribute, pos, stop, depth + 1, st)
            if attrs is NO_ATTRS:
                attrs = [a]
            else:
                attrs.append(a)
        elif key == 0x32:   # 6: doc_string, checked and dropped as the IR keeps none
            _label(buf, raw, pos, stop, Node, "doc_string")
        else:               # 4 op_type, 7 domain, 8 overload: shared strings
            value = strings.get(raw[pos:stop])
            if value is None:
                value = _new_string(raw[pos:stop], st, Node, Node[1][key >> 3][0])
            if key == 0x22:
                op_type = value
            elif key == 0x3A:
                domain = value
        pos = stop
    # the node and its two lists, an item a name (the names are shared: see _string); the
    # general decoder charges what it reads below
    st.charged += MESSAGE_BYTES + ITEM_BYTES * (len(inputs) + len(outputs))
    if st.charged > st.left:
        st.overrun(Node)
    if pos < end:
        d = _message(buf, Node, pos, end, depth, st).__dict__
        inputs += d.get("input", ())
        outputs += d.get("output", ())
        if "attribute" in d:
            attrs = d["attribute"] if attrs is NO_ATTRS else attrs + d["attribute"]
        op_type, domain, name = d.get("op_type", op_type), d.get("domain", domain), d.get("name", name)
    return st.make_node(op_type, inputs, outputs, attrs, domain, name)


def _string(buf, st, pos, stop, schema, name):
    """The string in buf[pos:stop], one object for all its copies: a value's
    name is written by its producer and each reader, so sharing one str
    saves memory, and dict lookups by name then match by identity without
    comparing text. With `st.raw` (bytes), `st.strings` maps the encoded
    bytes to the str: a bytes slice and one lookup are about 4x cheaper than
    decoding a memoryview slice, and most names are copies. Without it,
    str -> str."""
    strings, raw = st.strings, st.raw
    if raw is not None:
        key = raw[pos:stop]
        value = strings.get(key)
        return value if value is not None else _new_string(key, st, schema, name)
    value = _utf8(buf[pos:stop], schema, name)
    first = strings.get(value)
    if first is not None:
        return first
    _charge(st, STRING_BYTES + 2 * (stop - pos), schema)
    strings[value] = value
    return value


def _label(buf, raw, pos, stop, schema, name):
    """The string in buf[pos:stop], a new object (see LABEL); sliced from
    `raw` (bytes) when given, which is cheaper than a memoryview slice."""
    return _utf8((buf if raw is None else raw)[pos:stop], schema, name)


def _new_string(key, st, schema, name):
    """The str of the bytes `key`, seen for the first time: decoded, charged
    (see STRING_BYTES) and remembered (see _string)."""
    st.charged += STRING_BYTES + 2 * len(key)      # _charge, inline: once per distinct name
    if st.charged > st.left:
        st.overrun(schema)
    value = st.strings[key] = _utf8(key, schema, name)
    return value


def _utf8(data, schema, name):
    """The str of the UTF-8 bytes `data` of field `name`; invalid UTF-8 is a corrupt model."""
    try:
        return str(data, "utf-8")
    except UnicodeDecodeError:
        raise ModelError(f"corrupt model: {schema[0]}.{name} is not valid UTF-8") from None


def load_model(data, make_node=None, budget=None):
    """Decode a ModelProto from bytes (or a memoryview of them). make_node:
    None, or what each NodeProto becomes instead of a Message (see _node).
    budget: a limits.Budget the objects decoding makes are charged to as they
    are made (ResourceError past it; see MESSAGE_BYTES), or None."""
    try:
        buf = memoryview(data)
    except TypeError:
        raise ModelError(f"expected the model's bytes, got {type(data).__name__}") from None
    if buf.format != "B" or buf.ndim != 1 or not buf.contiguous:
        buf = memoryview(buf.tobytes())
    if len(buf) == 0:
        raise ModelError("empty input: not an ONNX model")
    # Names are sliced from the bytes themselves when the model is a bytes object (as read
    # from a file or handed over by the JS bridge); other buffers are not copied for this.
    st = _Decoding(data if type(data) is bytes else None, make_node, budget)
    model = decode(buf, Model, st=st)
    if budget is not None:
        budget.add(st.charged, "the Python objects its protobuf decodes into")
    return model
