"""QDQ models (onnxruntime's quantize_static, QuantFormat.QDQ) → int8 ops.

    DequantizeLinear(x) ─┐
    DequantizeLinear(w) ─┼─► Conv ─► (Relu/Clip) ─► QuantizeLinear   → QS8Conv
    DequantizeLinear(b) ─┘
    DequantizeLinear(a), DequantizeLinear(b) ─► Add ─► QuantizeLinear → QS8Add

x/a/b: uint8/int8 with a constant scalar scale and zero point; w: constant
int8 weights with zero point 0, scale per tensor or per output channel
(axis 0); b: constant int32 bias of scale x_scale * w_scale (what the
quantizer writes), or absent. The requantization scale is computed once
here in float32, as onnxruntime's QLinearConv computes it. A Q/DQ pair
between two int8 ops disappears with them: each int8 op reads the quantized
value the QuantizeLinear before it made, and DequantizeLinear nodes left
without readers are dropped. What does not match (per-axis activations,
nonzero weight zero points, float bias, other ops between) stays as it is
and runs through DequantizeLinear/QuantizeLinear and the float op.

Every DequantizeLinear/QuantizeLinear with constant parameters is checked
here, at load: a scale that is zero, negative or not finite, a zero point
of another type than the quantized data or outside its range, per-axis
lengths that do not match the axis: ModelError naming the node.

Runs in a stage before fold_constants, which would otherwise fold the
weights' DequantizeLinear into float weights and hide the pattern."""
import numpy as np

from ..errors import ModelError
from ..ops._quant import INT_RANGES
from ..ops.internal import DOMAIN
from .. import dtypes
from ..ir import Node, implicit_inputs
from ._util import consumers, fresh_initializer_name, graph_output_names

TARGETS = frozenset({("", "QuantizeLinear"), ("", "DequantizeLinear")})
_QDQ = ("QuantizeLinear", "DequantizeLinear")
_CONV_ATTRS = ("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides")


def _fail(node, msg):
    raise ModelError(f"node {node.name!r} ({node.op_type}): {msg}")


def check_qdq(node, consts, quantized_side=None):
    """ModelError for bad constant quantization parameters of one Q/DQ node
    (inputs data, scale, zero point). quantized_side: the data input is the
    quantized value (default: for a DequantizeLinear), whose type the zero
    point must have."""
    if quantized_side is None:
        quantized_side = node.op_type == "DequantizeLinear"
    ins = node.inputs
    scale = consts.get(ins[1]) if len(ins) > 1 and ins[1] else None
    zp = consts.get(ins[2]) if len(ins) > 2 and ins[2] else None
    x = consts.get(ins[0]) if ins and ins[0] else None
    if scale is not None and isinstance(scale, np.ndarray) and scale.dtype.kind == "f":
        if not np.all(np.isfinite(scale)) or not np.all(scale > 0):
            bad = scale.reshape(-1)[~(np.isfinite(scale.reshape(-1)) & (scale.reshape(-1) > 0))][0]
            _fail(node, f"scale must be positive and finite, got {bad!r} in {ins[1]!r}")
    if zp is not None and isinstance(zp, np.ndarray):
        if scale is not None and (zp.size != np.size(scale) or (zp.size > 1 and zp.shape != np.shape(scale))):
            _fail(node, f"zero point {ins[2]!r} has shape {list(zp.shape)}, its scale {list(np.shape(scale))}")
        qtype = dtypes.ONNX_OF.get(zp.dtype) if zp.dtype.names is None else None
        if quantized_side and x is not None and zp.dtype != x.dtype:
            _fail(node, f"zero point {ins[2]!r} is {zp.dtype}, the quantized data {ins[0]!r} is {x.dtype}")
        if qtype == dtypes.INT32 and np.any(zp != 0):
            _fail(node, f"an int32 zero point must be 0, got {zp.reshape(-1)[zp.reshape(-1) != 0][0]}")
        if qtype in INT_RANGES and zp.size:
            lo, hi = INT_RANGES[qtype]
            if zp.min() < lo or zp.max() > hi:
                _fail(node, f"zero point {ins[2]!r} outside the range [{lo}, {hi}] of its type")
    if scale is not None and np.ndim(scale) == 1 and np.size(scale) > 1 and x is not None:
        axis = int(node.attrs.get("axis", 1))
        if not -x.ndim <= axis < x.ndim:
            _fail(node, f"axis {axis} out of range for {ins[0]!r} of rank {x.ndim}")
        if x.shape[axis] != np.size(scale) and not node.attrs.get("block_size"):
            _fail(node, f"{np.size(scale)} per-axis scales for axis {axis} of length {x.shape[axis]} "
                        f"({ins[0]!r} is {list(x.shape)})")


def _scalar_qparams(node, consts):
    """(scale float32, zero point int, numpy dtype of the quantized side) of a
    per-tensor Q/DQ with constant parameters and a uint8/int8 zero point, else None."""
    if len(node.inputs) < 3 or node.inputs[1] not in consts or node.inputs[2] not in consts:
        return None
    scale, zp = consts[node.inputs[1]], consts[node.inputs[2]]
    if np.size(scale) != 1 or np.size(zp) != 1 or zp.dtype not in (np.uint8, np.int8) or \
            np.asarray(scale).dtype != np.float32:
        return None
    return np.float32(np.asarray(scale).reshape(())), int(np.asarray(zp).reshape(())), zp.dtype


def qs8_add_attrs(qa, qb, qy):
    """QS8Add's attributes from the (scale, zero point[, type]) of a, b and the output:
    each input's scale over the output's as float32, the zero points, the output's range."""
    sy, zy, ytype = qy
    lo, hi = INT_RANGES[dtypes.ONNX_OF[np.dtype(ytype)]]
    return {"a_ratio": float(np.float32(qa[0] / sy)), "b_ratio": float(np.float32(qb[0] / sy)),
            "a_zero_point": qa[1], "b_zero_point": qb[1], "y_zero_point": zy,
            "output_min": lo, "output_max": hi, "output_signed": int(ytype == np.int8)}


def _quantize(v, scale, zp, dtype):
    lo, hi = INT_RANGES[dtypes.ONNX_OF[np.dtype(dtype)]]
    return int(np.clip(np.rint(np.float32(v) / scale) + zp, lo, hi))


def _bounds(act, consts):
    """(lo, hi) of a Relu/Clip with constant (or absent) bounds, else None."""
    if act.op_type == "Relu":
        return 0.0, np.inf
    if "min" in act.attrs or "max" in act.attrs:      # Clip before opset 11
        return float(act.attrs.get("min", -np.inf)), float(act.attrs.get("max", np.inf))
    bounds = []
    for i, default in ((1, -np.inf), (2, np.inf)):
        name = act.inputs[i] if len(act.inputs) > i else ""
        if name and name not in consts:
            return None
        bounds.append(float(np.asarray(consts[name]).reshape(-1)[0]) if name else default)
    return tuple(bounds)


class _Fuser:
    def __init__(self, graph):
        self.graph, self.consts = graph, graph.initializers
        self.producer = {o: n for n in graph.nodes for o in n.outputs if o}
        self.uses = consumers(graph)
        self.outputs = graph_output_names(graph)

    def only_reader(self, name, node):
        """`name` is read by `node` alone and is no graph output."""
        return name not in self.outputs and [id(n) for n in self.uses.get(name, [])] == [id(node)]

    def dq(self, name):
        n = self.producer.get(name)
        return n if n is not None and n.domain == "" and n.op_type == "DequantizeLinear" else None

    def activation(self, q):
        """(the node before q's input, removed nodes, (lo, hi)) across an optional Relu/Clip."""
        src = self.producer.get(q.inputs[0])
        if src is None or not self.only_reader(q.inputs[0], q):
            return None, [], (0.0, 0.0)
        if src.domain == "" and src.op_type in ("Relu", "Clip") and src.inputs:
            bounds = _bounds(src, self.consts)
            inner = self.producer.get(src.inputs[0])
            if bounds is None or inner is None or not self.only_reader(src.inputs[0], src):
                return None, [], (0.0, 0.0)
            return inner, [src], bounds
        return src, [], (-np.inf, np.inf)

    def conv(self, q, qy):
        conv, acts, (lo, hi) = self.activation(q)
        if conv is None or conv.domain != "" or conv.op_type != "Conv" or len(conv.inputs) < 2:
            return None
        dx, dw = self.dq(conv.inputs[0]), self.dq(conv.inputs[1])
        qx = _scalar_qparams(dx, self.consts) if dx is not None else None
        if qx is None or dw is None or dw.inputs[0] not in self.consts or dw.inputs[1] not in self.consts:
            return None
        w = self.consts[dw.inputs[0]]
        sw = np.asarray(self.consts[dw.inputs[1]])
        zw = self.consts.get(dw.inputs[2]) if len(dw.inputs) > 2 and dw.inputs[2] else None
        if w.dtype != np.int8 or w.ndim < 3 or sw.dtype != np.float32 or (zw is not None and np.any(zw != 0)) or \
                (sw.size > 1 and (int(dw.attrs.get("axis", 1)) % w.ndim != 0 or sw.size != w.shape[0])):
            return None
        sx, zx, xtype = qx
        sy, zy, ytype = qy
        sw = np.broadcast_to(sw.reshape(-1), (w.shape[0],)).astype(np.float32)
        bias = ""
        if len(conv.inputs) > 2 and conv.inputs[2]:
            db = self.dq(conv.inputs[2])
            if db is None or db.inputs[0] not in self.consts or self.consts[db.inputs[0]].dtype != np.int32 or \
                    db.inputs[1] not in self.consts:
                return None
            sb = np.broadcast_to(np.asarray(self.consts[db.inputs[1]], np.float32).reshape(-1), (w.shape[0],))
            # the quantizer writes the bias in units of x_scale * w_scale; any other scale is not QLinearConv's
            if not np.allclose(sb, sx * sw, rtol=1e-6, atol=0):
                return None
            bias = db.inputs[0]
        scale = ((sx * sw).astype(np.float32) / sy).astype(np.float32)     # float32, as QLinearConv
        name = fresh_initializer_name(self.graph, (conv.name or q.outputs[0]) + "/qs8_scale")
        self.consts[name] = scale
        qlo, qhi = INT_RANGES[dtypes.ONNX_OF[np.dtype(ytype)]]
        if lo != -np.inf:
            qlo = max(qlo, _quantize(lo, sy, zy, ytype))
        if hi != np.inf:
            qhi = min(qhi, _quantize(hi, sy, zy, ytype))
        attrs = {k: v for k, v in conv.attrs.items() if k in _CONV_ATTRS}
        attrs.update(x_zero_point=zx, y_zero_point=zy, output_min=qlo, output_max=qhi,
                     output_signed=int(ytype == np.int8))
        new = Node("QS8Conv", [dx.inputs[0], dw.inputs[0], bias, name], [q.outputs[0]], attrs, DOMAIN,
                   conv.name or q.name)
        return new, [conv, *acts, q]

    def add(self, q, qy):
        add = self.producer.get(q.inputs[0])
        if add is None or add.domain != "" or add.op_type != "Add" or len(add.inputs) != 2 or \
                not self.only_reader(q.inputs[0], q):
            return None
        da, db = self.dq(add.inputs[0]), self.dq(add.inputs[1])
        qa = _scalar_qparams(da, self.consts) if da is not None else None
        qb = _scalar_qparams(db, self.consts) if db is not None else None
        if qa is None or qb is None:
            return None
        return Node("QS8Add", [da.inputs[0], db.inputs[0]], [q.outputs[0]], qs8_add_attrs(qa, qb, qy), DOMAIN,
                    add.name or q.name), [add, q]


def apply(graph, ctx):
    consts = graph.initializers
    for node in graph.nodes:
        if node.domain == "" and node.op_type in _QDQ:
            check_qdq(node, consts)
    f = _Fuser(graph)
    replaced, gone = {}, set()
    for q in graph.nodes:
        if q.domain != "" or q.op_type != "QuantizeLinear" or id(q) in gone:
            continue
        qy = _scalar_qparams(q, consts)
        if qy is None:
            continue
        hit = f.conv(q, qy) or f.add(q, qy)
        if hit is None or any(id(n) in gone for n in hit[1]):
            continue
        new, old = hit
        gone.update(id(n) for n in old)
        replaced[id(old[0])] = new       # the new node takes the place of the op it replaces
    if not replaced:
        return False
    nodes = [replaced.get(id(n), n) for n in graph.nodes if id(n) not in gone or id(n) in replaced]
    graph.nodes[:] = _drop_dead_dequantize(graph, nodes)
    return True


def _drop_dead_dequantize(graph, nodes):
    """DequantizeLinear nodes nothing reads any more (those of fused weights and
    activations), dropped until none is left."""
    while True:
        read = graph_output_names(graph)
        for n in nodes:
            read.update(n.inputs)
        for n in nodes:
            read.update(implicit_inputs(n))
        kept = [n for n in nodes if not (n.domain == "" and n.op_type == "DequantizeLinear" and
                                         not any(o in read for o in n.outputs))]
        if len(kept) == len(nodes):
            return kept
        nodes = kept
