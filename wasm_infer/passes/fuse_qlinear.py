"""QOperator models (onnxruntime's quantize_static, QuantFormat.QOperator) →
the int8 ops of fuse_qdq, so they run on the same QS8 kernels:

    QLinearConv(x, sx, zx, w, sw, zw, sy, zy, b)           → QS8Conv
    com.microsoft QLinearAdd(a, sa, za, b, sb, zb, sy, zy)  → QS8Add

Conditions, as for the QDQ form: per-tensor constant scale and zero point
of x / a / b / y (uint8 or int8; an absent zero point of x / a / b is 0, y's
must be given), constant int8 weights with zero point 0,
scale per tensor or per output channel, constant int32 bias (QLinearConv's
bias is in units of x_scale * w_scale by definition). The requantization
scale is computed in float32 as onnxruntime's QLinearConv computes it, so
the result is byte-exact with it. QLinearConv has no activation: the
quantizer folds a Relu/Clip into y's range, and the output clamps to y's
type. What does not match (uint8 or nonzero-zero-point weights, computed
scales) stays as it is and runs through the NumPy ops.

Constant scales and zero points are checked here, at load, with fuse_qdq's
checks: ModelError naming the node."""
import numpy as np

from .. import dtypes
from ..ir import Node
from ..ops._quant import INT_RANGES
from ..ops.internal import DOMAIN
from ._util import fresh_initializer_name
from .fuse_qdq import check_qdq, qs8_add_attrs

MS = "com.microsoft"
TARGETS = frozenset({("", "QLinearConv"), (MS, "QLinearAdd")})
_CONV_ATTRS = ("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides")
# (data, scale, zero point, axis of a per-axis scale) triples of each op's inputs
_PAIRS = {"QLinearConv": ((0, 1, 2, None), (3, 4, 5, 0), (None, 6, 7, None)),
          "QLinearAdd": ((0, 1, 2, None), (3, 4, 5, None), (None, 6, 7, None))}


def _input(node, i):
    return node.inputs[i] if i is not None and len(node.inputs) > i else ""


def _check(node, consts):
    """fuse_qdq.check_qdq on each (data, scale, zero point) of the node."""
    for d, s, z, axis in _PAIRS[node.op_type]:
        ins = [_input(node, d), _input(node, s), _input(node, z)]
        # a view of the node with the pair as its inputs: the errors name the node
        probe = Node(node.op_type, ins, [], {"axis": axis} if axis is not None else {}, node.domain, node.name)
        check_qdq(probe, consts, quantized_side=True)


def _scalar(node, consts, s, z):
    """(scale float32, zero point int, dtype) of a constant per-tensor pair; an
    absent zero point is uint8 0 (the ops' default), else None."""
    sname, zname = _input(node, s), _input(node, z)
    if not sname or sname not in consts or (zname and zname not in consts):
        return None
    scale = np.asarray(consts[sname])
    zp = np.asarray(consts[zname]) if zname else np.zeros((), np.uint8)
    if scale.size != 1 or zp.size != 1 or scale.dtype != np.float32 or zp.dtype not in (np.uint8, np.int8):
        return None
    return np.float32(scale.reshape(())), int(zp.reshape(())), zp.dtype


def _conv(graph, node):
    consts = graph.initializers
    qx, qy = _scalar(node, consts, 1, 2), _scalar(node, consts, 6, 7)
    wname, bname = _input(node, 3), _input(node, 8)
    if qx is None or qy is None or wname not in consts or _input(node, 4) not in consts or \
            (bname and bname not in consts):
        return None
    w = consts[wname]
    sw = np.asarray(consts[_input(node, 4)])
    zw = consts.get(_input(node, 5)) if _input(node, 5) else None
    if w.dtype != np.int8 or w.ndim < 3 or sw.dtype != np.float32 or sw.size not in (1, w.shape[0]) or \
            (zw is not None and np.any(zw != 0)) or (bname and consts[bname].dtype != np.int32):
        return None
    (sx, zx, _), (sy, zy, ytype) = qx, qy
    sw = np.broadcast_to(sw.reshape(-1), (w.shape[0],)).astype(np.float32)
    scale = ((sx * sw).astype(np.float32) / sy).astype(np.float32)        # float32, as QLinearConv
    name = fresh_initializer_name(graph, (node.name or node.outputs[0]) + "/qs8_scale")
    consts[name] = scale
    lo, hi = INT_RANGES[dtypes.ONNX_OF[np.dtype(ytype)]]
    attrs = {k: v for k, v in node.attrs.items() if k in _CONV_ATTRS}
    attrs.update(x_zero_point=zx, y_zero_point=zy, output_min=lo, output_max=hi,
                 output_signed=int(ytype == np.int8))
    return Node("QS8Conv", [node.inputs[0], wname, bname, name], [node.outputs[0]], attrs, DOMAIN, node.name)


def _add(graph, node):
    consts = graph.initializers
    qa, qb, qy = (_scalar(node, consts, s, z) for s, z in ((1, 2), (4, 5), (6, 7)))
    # without C's zero point, C's type is A's, which the pass does not know: left to the op
    if qa is None or qb is None or qy is None or not _input(node, 3) or not _input(node, 7):
        return None
    return Node("QS8Add", [node.inputs[0], node.inputs[3]], [node.outputs[0]], qs8_add_attrs(qa, qb, qy), DOMAIN,
                node.name)


def apply(graph, ctx):
    changed = False
    for i, node in enumerate(graph.nodes):
        if (node.domain, node.op_type) not in TARGETS or not node.outputs or not node.outputs[0]:
            continue
        _check(node, graph.initializers)
        new = (_conv if node.op_type == "QLinearConv" else _add)(graph, node)
        if new is not None:
            graph.nodes[i] = new
            changed = True
    return changed
