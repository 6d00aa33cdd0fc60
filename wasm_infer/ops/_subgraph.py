"""Helpers for ops with subgraphs (If, Loop, Scan, SequenceMap).

Such an op compiles its graphs at session creation (so anything unsupported
inside them is reported then) and declares `implicit_inputs`: the outer-scope
names its graphs read. The parent runner appends their values to the op's
inputs; `split_scope` separates them again."""
import numpy as np

from .. import limits


def compile_graphs(op, *attr_names):
    """GraphRunners for the op's graph attributes, and the union of the names
    they read from enclosing graphs (set as op.implicit_inputs)."""
    runners, names = [], {}
    label = op.node.name or (op.node.outputs[0] if op.node.outputs else op.op_type)
    for attr in attr_names:
        runner = op.ctx.compile(op.required_attr(attr), f"{op.op_type} {label!r} {attr}")
        runners.append(runner)
        names.update(dict.fromkeys(runner.outer_names))
    op.implicit_inputs = list(names)
    return runners


def split_scope(op, args):
    """(explicit inputs, outer scope dict) from the args the runner passed."""
    n = len(args) - len(op.implicit_inputs)
    return list(args[:n]), dict(zip(op.implicit_inputs, args[n:]))


def append_step(op, acc, value):
    """Append one iteration's scan output to `acc`, which Loop and Scan stack
    at the end: a small body output times many iterations can be any size,
    so the stacked size is checked (limits.check_output) at each step."""
    value = np.asarray(value)
    limits.check_output(op, (len(acc) + 1, *value.shape), value.itemsize)
    acc.append(value)
