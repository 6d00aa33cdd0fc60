"""Conv or ConvTranspose followed by Add of a constant per output channel
(shape [1, M, 1, ...], [M, 1, ...] or one value): some exporters write the
bias that way → the same node with the constant folded into its bias, so
that a BatchNormalization or activation after it can fold or fuse too."""
import numpy as np

from ._util import consumers, fresh_initializer_name, graph_output_names

TARGETS = frozenset({("", "Conv"), ("", "ConvTranspose")})


def _out_channels(node, w):
    if node.op_type == "Conv":
        return w.shape[0]
    return w.shape[1] * int(node.attrs.get("group", 1))


def _per_channel(c, m, rank):
    """The constant as a bias [m], if adding it to a rank-`rank` NC... tensor only varies by channel."""
    if not isinstance(c, np.ndarray) or c.dtype.kind != "f" or c.ndim > rank:
        return None
    if c.size == 1:
        return np.full(m, c.reshape(-1)[0], c.dtype)
    shape = (1,) * (rank - c.ndim) + c.shape
    if shape[1] == m and all(d == 1 for i, d in enumerate(shape) if i != 1):
        return c.reshape(m)
    return None


def apply(graph, ctx):
    uses, outputs = consumers(graph), graph_output_names(graph)
    producers = {n.outputs[0]: n for n in graph.nodes
                 if n.domain == "" and n.op_type in ("Conv", "ConvTranspose") and n.outputs}
    removed = set()
    for add in graph.nodes:
        if add.domain != "" or add.op_type != "Add" or len(add.inputs) != 2:
            continue
        for j in (0, 1):
            conv = producers.get(add.inputs[j])
            if conv is None or id(conv) in removed or conv.outputs[0] in outputs or \
                    len(uses.get(conv.outputs[0], ())) != 1 or len(conv.inputs) < 2:
                continue
            w = graph.initializers.get(conv.inputs[1])
            b_name = conv.inputs[2] if len(conv.inputs) > 2 else ""
            old_b = graph.initializers.get(b_name) if b_name else None
            if w is None or w.dtype.kind != "f" or w.ndim < 3 or (b_name and old_b is None):
                continue
            m = _out_channels(conv, w)
            c = _per_channel(graph.initializers.get(add.inputs[1 - j]), m, w.ndim)
            if c is None or c.dtype != w.dtype:
                continue
            name = fresh_initializer_name(graph, (b_name or conv.inputs[1]) + "_addbias")
            graph.initializers[name] = (c if old_b is None else old_b + c).astype(w.dtype)
            conv.inputs[2:] = [name]
            conv.outputs[0] = add.outputs[0]
            removed.add(id(add))
            break
    graph.nodes[:] = [n for n in graph.nodes if id(n) not in removed]
    return bool(removed)
