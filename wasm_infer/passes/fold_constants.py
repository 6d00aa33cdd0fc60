"""Evaluate, once, every node whose inputs are all known at load time.

Exported models compute things like Conv padding from constant shapes
(ConstantOfShape → Concat → Slice → … → Pad); folding turns such chains into
initializers so the run loop never sees them."""
from ..ops import resolve


def apply(graph, ctx):
    known = graph.initializers
    kept, changed = [], False
    for node in graph.nodes:
        names = [n for n in node.inputs if n]
        if all(n in known for n in names) and not _has_subgraph(node):
            opset = (node.opsets or ctx.opsets).get(node.domain or "", 1)
            cls = resolve(node.op_type, node.domain, opset, node.name)
            if cls.deterministic:
                op = cls(node, ctx.numpy_only())
                outputs = op.run(*(known[n] if n else None for n in node.inputs))
                for name, value in zip(node.outputs, outputs):
                    if name:
                        known[name] = value
                changed = True
                continue
        kept.append(node)
    graph.nodes[:] = kept
    return changed


def _has_subgraph(node):
    from ..ir import subgraphs
    return any(True for _ in subgraphs(node))
