"""Run convolutional regions in NHWC (channels last), the layout the conv,
depthwise and pooling kernels want.

2-D Conv/FusedConv → NhwcConv, ConvTranspose with kernel == stride →
NhwcConvTranspose, GlobalAveragePool → NhwcGlobalAveragePool,
MaxPool/AveragePool (no Indices) → NhwcPool, Resize with constant
parameters → the same Resize with the parameters permuted, Concat/Split
along a renumbered axis; elementwise ops between them
(the ops whose class declares `layout` "elementwise_unary" or
"elementwise_binary", see ops/base.py: they compute the same when every
operand is permuted the same way) stay as they are and read/write NHWC
tensors; constant operands of binary ops are permuted once here. A Transpose is inserted only at a region's borders:
NCHW → NHWC (perm 0,2,3,1) before the first NHWC reader of a value, NHWC →
NCHW (perm 0,3,1,2) before the first reader that needs NCHW (or when the
value is a graph output), one per value however many readers it has. NHWC
values are named "<name>/nhwc"; the original names keep their NCHW meaning.

Applied when the kernels are in use (NumPy gains nothing from it), or when
WASM_INFER_NHWC=1 (tests); WASM_INFER_NHWC=0 switches it off."""
import os

import numpy as np

from ..ir import Node, implicit_inputs
from ..ops.internal import DOMAIN
from ._util import graph_output_names, op_class

TO_NHWC, TO_NCHW = [0, 2, 3, 1], [0, 3, 1, 2]
# Regions start at convolutions. The pools and the elementwise ops (by
# trait) are rewritten only when they read a value this pass made NHWC.
TARGETS = frozenset({("", "Conv"), (DOMAIN, "FusedConv"), ("", "ConvTranspose"), (DOMAIN, "QS8Conv")})


def enabled(ctx):
    flag = os.environ.get("WASM_INFER_NHWC", "")
    if flag in ("0", "1"):
        return flag == "1"
    return ctx.kernels is not None and hasattr(ctx.kernels, "bind_conv2d_nhwc")


def _conv_ok(node, graph):
    w = graph.initializers.get(node.inputs[1]) if len(node.inputs) > 1 else None
    b_name = node.inputs[2] if len(node.inputs) > 2 else ""
    return (w is not None and isinstance(w, np.ndarray) and w.ndim == 4 and w.dtype == np.float32
            and (not b_name or b_name in graph.initializers))


def _conv_transpose_ok(node, graph):
    """A ConvTranspose that is one GEMM per output row (kernel == stride; see
    kernels/deconv.py): only those move into NHWC regions, where they run on the
    GEMM kernel. Others stay NCHW, as fast as before."""
    a = node.attrs
    if not _conv_ok(node, graph) or int(a.get("group", 1)) != 1 or "output_shape" in a:
        return False
    k = list(graph.initializers[node.inputs[1]].shape[2:])
    return (list(a.get("kernel_shape", k)) == k and list(a.get("strides", [1, 1])) == k and
            not any(a.get("pads", [0] * 4)) and not any(a.get("output_padding", [0, 0])) and
            list(a.get("dilations", [1, 1])) == [1, 1] and a.get("auto_pad", "NOTSET") in ("NOTSET", "VALID"))


def _nhwc_axis(axis):
    """Where axis `axis` of an NCHW tensor is in its NHWC twin."""
    return TO_NHWC.index(axis % 4)


def _axis_op_ok(node, nhwc, graph):
    """Concat of NHWC values only, or Split of an NHWC value with constant sizes."""
    if node.op_type == "Concat":
        return bool(node.inputs) and all(n in nhwc for n in node.inputs)
    return node.inputs[0] in nhwc and all(not n or n in graph.initializers for n in node.inputs[1:])


def _pool_ok(node):
    return len(node.attrs.get("kernel_shape", ())) == 2 and not any(node.outputs[1:])


def _resize_inputs(node, graph, opset):
    """Resize's roi/scales/sizes permuted to NHWC (new initializers), or None.
    Resize works axis by axis, so on a permuted tensor with permuted
    parameters it computes the permuted result; the parameters must be
    constants (empty or one entry per axis) and `axes` absent."""
    if "axes" in node.attrs:
        return None
    ins = []
    for i, name in enumerate(node.inputs[1:], start=1):
        c = graph.initializers.get(name) if name else None
        if not name or (c is not None and c.size == 0):
            ins.append(name)
            continue
        roi = opset >= 11 and i == 1
        if c is None or c.ndim != 1 or c.size != (8 if roi else 4):
            return None
        perm = TO_NHWC + [p + 4 for p in TO_NHWC] if roi else TO_NHWC
        ins.append(name + "/nhwc")
        graph.initializers[ins[-1]] = np.ascontiguousarray(c[perm])
    return ins


def _nhwc_constant(c):
    """A constant operand, permuted like its NCHW partner (rank <= 4), or None."""
    if not isinstance(c, np.ndarray) or c.ndim > 4 or c.dtype.names is not None:
        return None
    return np.ascontiguousarray(c.reshape((1,) * (4 - c.ndim) + c.shape).transpose(TO_NHWC))


def _layout(node, ctx):
    cls = op_class(node, ctx)
    return cls.layout if cls is not None else None


def apply(graph, ctx):
    if not enabled(ctx):
        return False
    nhwc, nchw_ok = {}, set()   # name -> its NHWC twin; names whose NCHW value exists
    nchw_ok.update(graph.initializers)
    nchw_ok.update(v.name for v in graph.inputs)
    out, changed = [], False
    made = set()                # NCHW names that still need a Transpose back (produced only as NHWC)

    def need_nchw(name):
        if name and name in made:
            out.append(Node("Transpose", [nhwc[name]], [name], {"perm": TO_NCHW}, "", name + "/to_nchw"))
            made.discard(name)

    def need_nhwc(name):
        if name not in nhwc:
            nhwc[name] = name + "/nhwc"
            out.append(Node("Transpose", [name], [nhwc[name]], {"perm": TO_NHWC}, "", name + "/to_nhwc"))
        return nhwc[name]

    for node in graph.nodes:
        op, std = node.op_type, node.domain == ""
        new = None
        if (std and op == "Conv" or node.domain == DOMAIN and op == "FusedConv") and _conv_ok(node, graph):
            new = Node("NhwcConv", [need_nhwc(node.inputs[0])] + node.inputs[1:], None, dict(node.attrs),
                       DOMAIN, node.name)
        elif node.domain == DOMAIN and op == "QS8Conv" and getattr(graph.initializers.get(node.inputs[1]),
                                                                   "ndim", 0) == 4:
            # the int8 conv of fuse_qdq (2-D, constant weights): its int8 kernels are NHWC too
            new = Node("NhwcQS8Conv", [need_nhwc(node.inputs[0])] + node.inputs[1:], None, dict(node.attrs),
                       DOMAIN, node.name)
        elif std and op == "ConvTranspose" and _conv_transpose_ok(node, graph):
            new = Node("NhwcConvTranspose", [need_nhwc(node.inputs[0])] + node.inputs[1:], None, dict(node.attrs),
                       DOMAIN, node.name)
        elif std and op in ("Concat", "Split") and _axis_op_ok(node, nhwc, graph):
            # the axis is renumbered; Split's sizes (a constant input) stay as they are
            ins = [nhwc[n] if op == "Concat" or i == 0 else n for i, n in enumerate(node.inputs)]
            new = Node(op, ins, None, {**node.attrs, "axis": _nhwc_axis(node.attrs.get("axis", 0))}, "",
                       node.name, node.opsets)
        elif std and op == "GlobalAveragePool" and node.inputs[0] in nhwc:
            new = Node("NhwcGlobalAveragePool", [nhwc[node.inputs[0]]], None, {}, DOMAIN, node.name)
        elif std and op in ("MaxPool", "AveragePool") and node.inputs[0] in nhwc and _pool_ok(node):
            new = Node("NhwcPool", [nhwc[node.inputs[0]]], None, {**node.attrs, "kind": op}, DOMAIN, node.name)
        elif std and op == "Resize" and node.inputs[0] in nhwc and \
                (params := _resize_inputs(node, graph, (node.opsets or ctx.opsets).get("", 1))) is not None:
            new = Node(op, [nhwc[node.inputs[0]]] + params, None, dict(node.attrs), "", node.name, node.opsets)
        elif node.inputs and node.inputs[0] in nhwc and len(node.outputs) == 1 and \
                all(not n or n in graph.initializers for n in node.inputs[1:]) and \
                _layout(node, ctx) == "elementwise_unary":
            # further inputs (Clip's bounds) must be constants: they are scalars, and a
            # computed one might exist only as NHWC here
            new = Node(op, [nhwc[node.inputs[0]]] + node.inputs[1:], None, dict(node.attrs), node.domain,
                       node.name, node.opsets)
        elif len(node.inputs) == 2 and any(n in nhwc for n in node.inputs) and \
                _layout(node, ctx) == "elementwise_binary":
            ins = []
            for n in node.inputs:
                if n in nhwc:
                    ins.append(nhwc[n])
                elif n in graph.initializers and _nhwc_constant(graph.initializers[n]) is not None:
                    name = n + "/nhwc"
                    graph.initializers[name] = _nhwc_constant(graph.initializers[n])
                    ins.append(name)
                else:
                    ins = None
                    break
            if ins is not None:
                new = Node(op, ins, None, dict(node.attrs), node.domain, node.name, node.opsets)
        if new is not None:
            new.outputs = []
            for name in node.outputs:
                if name:
                    nhwc[name] = name + "/nhwc"
                    made.add(name)
                new.outputs.append(nhwc[name] if name else "")
            out.append(new)
            changed = True
            continue
        for name in list(node.inputs) + implicit_inputs(node):
            need_nchw(name)
        out.append(node)
    for name in graph_output_names(graph):
        need_nchw(name)
    graph.nodes[:] = out
    return changed
