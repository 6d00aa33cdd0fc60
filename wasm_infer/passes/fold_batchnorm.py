"""Conv, ConvTranspose (or Gemm with a constant B) followed by an inference
BatchNormalization with constant statistics → the same node with the
normalisation folded into its weights and bias:

    s = scale / sqrt(var + eps);  W' = W * s (per output channel);  b' = (b - mean) * s + bias
"""
import numpy as np

from ._util import consumers, graph_output_names, fresh_initializer_name

TARGETS = frozenset({("", "BatchNormalization")})
# The nodes a BatchNormalization folds into, and where their output channels are.
_WEIGHTS = {"Conv": "W [M, C/group, k...]: axis 0", "ConvTranspose": "W [C, M/group, k...]: axis 1 (per group)",
            "Gemm": "B [K, N] (or [N, K] with transB): the N axis"}


def _stats(bn, graph, opset):
    """(s, shift) as float64 if `bn` is an inference BatchNormalization with constant inputs."""
    if bn.domain != "" or bn.op_type != "BatchNormalization" or len(bn.inputs) != 5 or any(bn.outputs[1:]):
        return None
    if opset >= 14 and bn.attrs.get("training_mode", 0):
        return None
    consts = [graph.initializers.get(n) for n in bn.inputs[1:]]
    if any(c is None or not isinstance(c, np.ndarray) or c.dtype.kind != "f" or c.ndim != 1 for c in consts):
        return None
    scale, bias, mean, var = (c.astype(np.float64) for c in consts)
    s = scale / np.sqrt(var + float(bn.attrs.get("epsilon", 1e-5)))
    return s, bias - mean * s



def apply(graph, ctx):
    uses = consumers(graph)
    outputs = graph_output_names(graph)
    producers = {n.outputs[0]: n for n in graph.nodes if n.outputs}
    removed = set()
    for bn in graph.nodes:
        if bn.op_type != "BatchNormalization" or not bn.inputs:
            continue
        prod = producers.get(bn.inputs[0])
        if prod is None or prod.domain != "" or prod.op_type not in _WEIGHTS or \
                prod.outputs[0] in outputs or len(uses.get(prod.outputs[0], ())) != 1:
            continue
        stats = _stats(bn, graph, ctx.opset(""))
        w = graph.initializers.get(prod.inputs[1]) if len(prod.inputs) > 1 else None
        if stats is None or w is None or w.dtype.kind != "f":
            continue
        s, shift = stats
        if prod.op_type == "Conv":
            if w.ndim < 3 or w.shape[0] != s.size:
                continue
            new_w = w.astype(np.float64) * s.reshape((-1,) + (1,) * (w.ndim - 1))
        elif prod.op_type == "ConvTranspose":    # W [C, M/group, k...]: output channel g * M/group + m
            g = int(prod.attrs.get("group", 1))
            if w.ndim < 3 or g < 1 or w.shape[0] % g or w.shape[1] * g != s.size:
                continue
            k = (1,) * (w.ndim - 2)
            new_w = (w.astype(np.float64).reshape((g, w.shape[0] // g) + w.shape[1:]) *
                     s.reshape((g, 1, w.shape[1]) + k)).reshape(w.shape)
        else:   # Gemm: Y = alpha A B' + beta C, columns of Y are the BN channels
            trans_b = prod.attrs.get("transB", 0)
            if w.ndim != 2 or (w.shape[0] if trans_b else w.shape[1]) != s.size:
                continue
            new_w = w.astype(np.float64) * (s.reshape(-1, 1) if trans_b else s.reshape(1, -1))
        b_name = prod.inputs[2] if len(prod.inputs) > 2 else ""
        b = graph.initializers.get(b_name) if b_name else np.zeros(s.size)
        if b is None:
            continue
        if prod.op_type == "Gemm":
            b = np.broadcast_to(b.astype(np.float64) * float(prod.attrs.get("beta", 1.0)), (s.size,)) \
                if b.size in (1, s.size) and b.ndim <= 1 or (b.ndim == 2 and b.shape[0] == 1) else None
            if b is None:
                continue
            b = b.reshape(-1)
            prod.attrs = {**prod.attrs, "beta": 1.0}
        new_b = (b.astype(np.float64) - 0) * s + shift
        w_name = fresh_initializer_name(graph, prod.inputs[1] + "_bn")
        nb_name = fresh_initializer_name(graph, (b_name or prod.inputs[1]) + "_bnbias")
        graph.initializers[w_name] = new_w.astype(w.dtype)
        graph.initializers[nb_name] = new_b.astype(w.dtype)
        prod.inputs[1:] = [w_name, nb_name]
        prod.outputs[0] = bn.outputs[0]
        removed.add(id(bn))
    graph.nodes[:] = [n for n in graph.nodes if id(n) not in removed]
    return bool(removed)
