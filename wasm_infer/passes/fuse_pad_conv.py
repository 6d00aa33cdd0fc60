"""Pad (constant mode, zero value, spatial axes only) followed by Conv → the
padding moves into the Conv's `pads`, so no padded copy is made. Exported
"same"-padding layers (TF-style asymmetric padding) produce this pattern."""
import numpy as np

from ._util import consumers, graph_output_names

TARGETS = frozenset({("", "Pad")})


def _constant(graph, node, index):
    name = node.inputs[index] if len(node.inputs) > index else ""
    return graph.initializers.get(name) if name else None


def _spatial_pads(pad, graph, opset, rank):
    """[begin..., end...] for the spatial axes, or None if this Pad cannot fold."""
    if pad.attrs.get("mode", "constant") != "constant":
        return None
    if opset < 11:
        pads, value = pad.attrs.get("pads"), pad.attrs.get("value", 0.0)
    else:
        pads = _constant(graph, pad, 1)
        value = _constant(graph, pad, 2)
        if pads is None or (len(pad.inputs) > 2 and pad.inputs[2] and value is None):
            return None
        if len(pad.inputs) > 3 and pad.inputs[3]:
            return None  # explicit axes: rare, not worth the bookkeeping
        value = 0.0 if value is None or value.size == 0 else float(value.reshape(-1)[0])
    pads = [int(p) for p in np.asarray(pads).reshape(-1)]
    if value != 0.0 or len(pads) != 2 * rank or min(pads) < 0:
        return None
    begin, end = pads[:rank], pads[rank:]
    if begin[:2] != [0, 0] or end[:2] != [0, 0]:
        return None  # padding the batch or channel axis is not a Conv padding
    return begin[2:] + end[2:]


def apply(graph, ctx):
    uses = consumers(graph)
    outputs = graph_output_names(graph)
    pads_of = {}
    for node in graph.nodes:
        if node.op_type == "Pad" and node.domain == "" and node.outputs[0] not in outputs:
            pads_of[node.outputs[0]] = node
    removed = set()
    for conv in graph.nodes:
        if conv.op_type != "Conv" or conv.domain != "" or not conv.inputs:
            continue
        pad = pads_of.get(conv.inputs[0])
        weight = graph.initializers.get(conv.inputs[1]) if len(conv.inputs) > 1 else None
        if pad is None or weight is None or len(uses.get(pad.outputs[0], ())) != 1:
            continue
        if conv.attrs.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
            continue
        extra = _spatial_pads(pad, graph, ctx.opset(""), weight.ndim)
        if extra is None:
            continue
        n = weight.ndim - 2
        own = [0] * (2 * n) if conv.attrs.get("auto_pad") == "VALID" else list(conv.attrs.get("pads", [0] * (2 * n)))
        conv.attrs = {k: v for k, v in conv.attrs.items() if k != "auto_pad"}
        conv.attrs["pads"] = [a + b for a, b in zip(own, extra)]
        conv.inputs[0] = pad.inputs[0]
        removed.add(id(pad))
    graph.nodes[:] = [n for n in graph.nodes if id(n) not in removed]
    return bool(removed)
