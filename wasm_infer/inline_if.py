"""Planned If nodes inlined: a plan runs the taken branch's steps as its own.

An `If` in a planned graph otherwise costs a call per run: the op's `run`,
the branch's signature and its own plan (or the unplanned runner), about
35 us in Pyodide, more than a small branch's work. Exported models nest
such Ifs on values fixed by the inputs (Silero VAD: a branch on a
sample-rate input around the whole model, shape tests with a one-`Squeeze`
branch inside it).

The recording run (GraphRunner.run with a Recorder) records, per If it runs,
which branch it took and a child record of that branch's values
(`recording`). `expand` then lists the graph's steps with each recorded If
replaced by a guard step and its taken branch's steps, recursively; the
branch's outputs are renamed to the If's outputs, and its own values and
initializers keep their names unless those are taken already (then they get
a fresh one). `plan.build` plans that flat list as one graph, so the
branch's kernels share the arena and its shape computations are static.

The guard step (BranchGuard) reads the condition. When the condition is
static for the plan (computed from shapes or constants) it is folded away.
When it is computed from small integer or bool inputs (a sample rate, a
flag) and constants only, those inputs are static for the plan too (the
condition folds) and one FeedGuard step, first in the plan, checks per run
that they hold the values the plan was made with. Otherwise the guard
checks the condition on each run. A failed check raises BranchChanged (a
ShapeChanged): the session, or SubgraphPlans for an If inside a branch,
runs that call unplanned and re-plans with that input, or that condition,
in the plan's `no_adopt` set: a changed input is checked by condition from
then on, a flipped condition keeps its If as a step. So a condition that
flips costs at most two re-plans, not one per flip."""
import threading

import numpy as np

from .errors import ModelError
from .ir import subgraphs

_ACTIVE = threading.local()     # .record: the Recorder of the GraphRunner.run recording now (per thread)


def recording():
    """The Recorder an If running now should record its branch into, or None."""
    return getattr(_ACTIVE, "record", None)


def swap(record):
    """Make `record` the active Recorder; returns the one before (restore with swap(it))."""
    before, _ACTIVE.record = getattr(_ACTIVE, "record", None), record
    return before


class BranchGuard:
    """The step that stands for an inlined If: `run(cond)` checks that the
    branch the plan inlined is still the one the condition selects."""
    domain, op_type = "", "If"
    deterministic = True     # a static condition is folded at plan time (it cannot change)
    shape_only = view = False
    inplace = ()
    handles_exotic = True

    def __init__(self, op, taken, cond_name):
        self.op, self.taken, self.cond_name = op, taken, cond_name
        self.node = _GuardNode(op.node.name, [cond_name])

    def run(self, cond):
        cond = np.asarray(cond)
        if cond.size != 1:
            raise ModelError(f"If {self.op.node.name!r}: the condition must hold one value, "
                             f"it has shape {list(cond.shape)}")
        if bool(cond.reshape(-1)[0]) != self.taken:
            from .plan import BranchChanged
            raise BranchChanged(self.cond_name, self.op)
        return ()


class FeedGuard:
    """The first step of a plan whose inlined Ifs' conditions are computed
    only from small inputs (a sample rate) and constants: those inputs are
    static for the plan (the conditions fold away) and this step checks, per
    run, that each holds the value the plan was made with (bitwise)."""
    domain, op_type = "", "If"
    deterministic = shape_only = view = False
    inplace = ()
    handles_exotic = True

    def __init__(self, values, if_name):
        self.values = [(n, v.tobytes()) for n, v in values.items()]
        self.node = _GuardNode(if_name, list(values))

    def run(self, *xs):
        for x, (name, raw) in zip(xs, self.values):
            if x.tobytes() != raw:     # shape and dtype are the plan's signature
                from .plan import BranchChanged
                raise BranchChanged(name, self)
        return ()


GUARD_BYTES = 64      # inputs up to this size may be guarded by value (FeedGuard)


def guarded_feeds(steps, feeds, constants, no_inline):
    """{feed: its value} for the small integer or bool feeds that conditions
    of the inlined Ifs in `steps` are computed from, with constants and
    shapes, by deterministic nodes only (a condition that depends on
    anything else is checked by its BranchGuard)."""
    src = {n: {n} for n, v in feeds.items() if n not in no_inline and type(v) is np.ndarray and
           v.nbytes <= GUARD_BYTES and v.dtype.kind in "biu"}    # not float data: a rate, a flag, a mode
    need, fixed = set(), set(constants)
    for op, ins, outs in steps:
        if not src:
            break
        if isinstance(op, BranchGuard):
            need |= src.get(ins[0], set())
            continue
        names = [n for n in ins if n]
        if op.shape_only:        # fixed by the plan's signature whatever its input
            fixed.update(o for o in outs if o)
            continue
        if not op.deterministic or any(True for _ in subgraphs(op.node)) or \
                not all(n in src or n in fixed for n in names):
            continue
        dep = set().union(*(src[n] for n in names if n in src))
        for o in outs:
            if o and dep:
                src[o] = dep
            elif o:
                fixed.add(o)
    return {n: np.array(feeds[n]) for n in feeds if n in need}


class _GuardNode:
    """A guard's node: the If's name (profiles count the guard as the If's own time), the
    values it checks as inputs, no outputs, no subgraphs."""
    domain, op_type = "", "If"
    opsets = None

    def __init__(self, name, inputs):
        self.name, self.inputs, self.outputs, self.attrs = name, inputs, [], {}


class Flat:
    """The expanded step list of a graph: steps and promote flags as in a
    GraphRunner, the inlined branches' initializers (`constants`) and the
    record of every value (`record`), under the flat names."""

    def __init__(self, record):
        self.steps, self.promote, self.constants = [], [], {}
        self.record = dict(record)


def expand(runner, feeds, record, no_inline=frozenset(), outer_constants=None):
    """A Flat for the runner's steps with the recorded Ifs inlined, or None
    when the record holds no If to inline."""
    if not getattr(record, "branches", None):
        return None
    flat = Flat(record)
    used = set(record) | set(feeds) | set(runner.graph.initializers) | set(outer_constants or ())
    for _, ins, outs in runner.steps:
        used.update(ins)
        used.update(outs)
    found = _walk(runner, record, {}, flat, used, no_inline)
    return flat if found else None


def _walk(runner, record, rename, flat, used, no_inline):
    """Append the runner's steps to `flat`, names mapped by `rename`; whether an If was inlined."""
    def r(n):
        return rename.get(n, n) if n else n
    branches = getattr(record, "branches", {})
    found = False
    for (op, ins, outs), promote in zip(runner.steps, runner.promote):
        entry = branches.get(op)
        cond = r(ins[0]) if ins else ""
        branch = _inlinable(op, entry) if entry is not None and cond not in no_inline else None
        if branch is None:
            flat.steps.append((op, tuple(r(n) for n in ins), tuple(r(n) for n in outs)))
            flat.promote.append(promote)
            continue
        taken, child = entry
        found = True
        flat.steps.append((BranchGuard(op, taken, cond), (cond,), ()))
        flat.promote.append(False)
        inner = {n: r(n) for n in branch.outer_names}
        for b_out, if_out in zip(branch.output_names, outs):
            if if_out:
                inner[b_out] = r(if_out)
        own = list(branch.graph.initializers) + [n for _, _, o in branch.steps for n in o if n]
        for n in own:
            if n not in inner:
                inner[n] = n if n not in used else _fresh(n, used)
                used.add(inner[n])
        for n, v in branch.graph.initializers.items():
            flat.constants[inner[n]] = v
        for n, v in child.items():
            if n in inner:
                flat.record[inner[n]] = v
        _walk(branch, child, inner, flat, used, no_inline)
    return found


def _inlinable(op, entry):
    """The taken branch's GraphRunner when the If can be inlined: each of its
    outputs a distinct value computed by one of its own steps (an output that
    is an outer value or an initializer would need a copy step)."""
    if op.op_type != "If" or op.domain != "" or not hasattr(op, "then_branch"):
        return None
    branch = op.then_branch if entry[0] else op.else_branch
    produced = {n for _, _, outs in branch.steps for n in outs if n}
    names = branch.output_names
    if len(set(names)) != len(names) or not all(n in produced for n in names):
        return None
    if len(names) != len(op.node.outputs):
        return None
    return branch


def _fresh(name, used):
    k = 1
    while f"{name}~{k}" in used:
        k += 1
    return f"{name}~{k}"
