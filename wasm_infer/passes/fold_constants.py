"""Evaluate, once, every node whose inputs are all known at load time.

Exported models compute things like Conv padding from constant shapes
(ConstantOfShape → Concat → Slice → … → Pad); folding turns such chains into
initializers so the run loop never sees them.

A folded constant stays for the session's life, so each is charged to the
model's memory budget (ctx.budget, limits.py); ops whose output size comes
from their inputs check it against what the budget has left before
allocating (limits.check_output): a 200-byte Range cannot make GiBs."""
import numpy as np

from .. import limits
from ..ops import resolve

TARGETS = None   # any node whose inputs are all constants


def apply(graph, ctx):
    known = graph.initializers
    kept, changed = [], False
    for node in graph.nodes:
        if _all_known(node.inputs, known) and not _has_subgraph(node):
            opset = (node.opsets or ctx.opsets).get(node.domain or "", 1)
            cls = resolve(node.op_type, node.domain, opset, node.name)
            if cls.deterministic:
                op = cls(node, ctx.numpy_only())
                from ..graph_runner import _run_promoted   # here: graph_runner imports the passes
                args = tuple(known[n] if n else None for n in node.inputs)
                budget = ctx.budget
                with limits.allowance(budget.limit - budget.used):
                    # as the run loop does: ops without handles_exotic compute on widened bfloat16/float8/int4
                    outputs = op.run(*args) if getattr(op, "handles_exotic", False) else _run_promoted(op, args)
                for name, value in zip(node.outputs, outputs):
                    if name:
                        if isinstance(value, np.ndarray):
                            budget.add(value.nbytes, f"constant {name!r} folded from node {node.name!r} "
                                                     f"({node.op_type})")
                        known[name] = value
                changed = True
                continue
        kept.append(node)
    graph.nodes[:] = kept
    return changed


def _all_known(names, known):
    """Every input given ("" is one left out) is a constant. A loop, not a
    comprehension: it runs once per node of the model, at every load."""
    for n in names:
        if n and n not in known:
            return False
    return True


def _has_subgraph(node):
    from ..ir import subgraphs
    return any(True for _ in subgraphs(node))
