"""Dynamically quantized MatMuls (onnxruntime's quantize_dynamic) → one
DynamicQuantMatMul each:

    x ─► DynamicQuantizeLinear ─► (a, a_scale, a_zero_point)
    MatMulInteger(a, b, a_zero_point, b_zero_point) ─► Cast(to float) ─► Mul(·, s) ─► (Add bias)
    s = Mul(a_scale, b_scale)

b: constant int8/uint8 [K, N]; b_zero_point: constant of b's type, one value
or [N] (or absent); b_scale: constant float32, one value or [N]; bias:
constant float32 [N] (either side of the Add). The DynamicQuantizeLinear
stays: the quantizer feeds one to the Q, K and V projections, which then
share it. The intermediate values must have no other reader; `s` is kept
when something else reads it.

A b_zero_point of another type than b, or per-column lengths that do not
match N: ModelError naming the MatMulInteger (the spec requires both).
What does not match stays as it is and runs through the NumPy ops."""
import numpy as np

from ..errors import ModelError
from ..ir import Node, implicit_inputs
from ..ops.internal import DOMAIN
from ._util import graph_output_names

TARGETS = frozenset({("", "MatMulInteger")})
_BYTES = (np.dtype(np.uint8), np.dtype(np.int8))
_FLOAT = 1      # TensorProto.FLOAT


def _uses(graph):
    """value name -> readers, subgraphs' implicit reads included."""
    uses = {}
    for node in graph.nodes:
        for name in list(node.inputs) + list(implicit_inputs(node)):
            if name:
                uses.setdefault(name, []).append(node)
    return uses


def _per_column(c, n):
    """A float32 constant of one value or [N] (rank <= 1), else None."""
    if not isinstance(c, np.ndarray) or c.dtype != np.float32 or c.ndim > 1 or c.size not in (1, n):
        return None
    return c


def _check_zero_point(node, b, zp):
    if zp.dtype != b.dtype:
        raise ModelError(f"node {node.name!r} (MatMulInteger): b_zero_point {node.inputs[3]!r} is {zp.dtype}, "
                         f"b {node.inputs[1]!r} is {b.dtype}")
    if zp.size not in (1, b.shape[1]):
        raise ModelError(f"node {node.name!r} (MatMulInteger): b_zero_point {node.inputs[3]!r} has shape "
                         f"{list(zp.shape)}, b has {b.shape[1]} columns")


def _match(graph, mi, uses, producer, outputs):
    """(new node, nodes it replaces) for the chain from MatMulInteger `mi`, or None."""
    ins = list(mi.inputs) + [""] * (4 - len(mi.inputs))
    b = graph.initializers.get(ins[1])
    if not isinstance(b, np.ndarray) or b.dtype not in _BYTES or b.ndim != 2:
        return None
    zp = None
    if ins[3]:
        zp = graph.initializers.get(ins[3])
        if not isinstance(zp, np.ndarray):
            return None
        _check_zero_point(mi, b, zp)
        if zp.ndim > 1:
            return None         # [1, N] broadcasts in the NumPy op; the kernel takes one value or [N]
    dq = producer.get(ins[0])
    if dq is None or dq.op_type != "DynamicQuantizeLinear" or dq.domain != "" or len(dq.outputs) < 3 or \
            dq.outputs[0] != ins[0] or not ins[2] or ins[2] != dq.outputs[2]:
        return None

    def only_reader(value):
        readers = uses.get(value, ())
        return readers[0] if len(readers) == 1 and value not in outputs else None

    cast = only_reader(mi.outputs[0])
    if cast is None or cast.op_type != "Cast" or cast.domain != "" or cast.attrs.get("to") != _FLOAT:
        return None
    mul = only_reader(cast.outputs[0])
    if mul is None or mul.op_type != "Mul" or mul.domain != "" or len(mul.inputs) != 2 or \
            cast.outputs[0] not in mul.inputs or mul.inputs[0] == mul.inputs[1]:
        return None
    s = mul.inputs[1] if mul.inputs[0] == cast.outputs[0] else mul.inputs[0]
    sm = producer.get(s)
    if sm is None or sm.op_type != "Mul" or sm.domain != "" or len(sm.inputs) != 2 or \
            dq.outputs[1] not in sm.inputs:
        return None
    b_scale_name = sm.inputs[1] if sm.inputs[0] == dq.outputs[1] else sm.inputs[0]
    if _per_column(graph.initializers.get(b_scale_name), b.shape[1]) is None:
        return None
    replaced = [mi, cast, mul]
    if s not in outputs and len(uses.get(s, ())) == 1:
        replaced.append(sm)
    out, bias = mul.outputs[0], ""
    add = only_reader(mul.outputs[0])
    if add is not None and add.op_type == "Add" and add.domain == "" and len(add.inputs) == 2:
        other = add.inputs[1] if add.inputs[0] == mul.outputs[0] else add.inputs[0]
        c = graph.initializers.get(other)
        if isinstance(c, np.ndarray) and c.dtype == np.float32 and c.shape == (b.shape[1],):
            out, bias = add.outputs[0], other
            replaced.append(add)
    inputs = [ins[0], ins[1], dq.outputs[1], b_scale_name, ins[2], ins[3], bias]
    while inputs[-1] == "":
        inputs.pop()
    return Node("DynamicQuantMatMul", inputs, [out], {}, DOMAIN, mi.name), replaced


def apply(graph, ctx):
    uses = _uses(graph)
    outputs = graph_output_names(graph)
    producer = {o: n for n in graph.nodes for o in n.outputs if o}
    replace, removed = {}, set()
    for node in graph.nodes:
        if node.op_type != "MatMulInteger" or node.domain != "" or len(node.outputs) != 1:
            continue
        found = _match(graph, node, uses, producer, outputs)
        if found is None or any(id(n) in removed for n in found[1]):
            continue
        new, replaced = found
        replace[id(node)] = new
        removed.update(id(n) for n in replaced)
    if not replace:
        return False
    graph.nodes[:] = [replace.get(id(n), n) for n in graph.nodes if id(n) in replace or id(n) not in removed]
    return True
