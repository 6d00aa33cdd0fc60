"""The memory plan and the fast run loop for one input-shape signature.

The first `run` with a new signature (the shapes and dtypes of the feeds)
goes through GraphRunner.run, which records the shape and dtype of every
value (and the value itself when small). From that record, `build` makes a
Plan:

- static values: outputs of shape-only ops (trait `shape_only`: Shape,
  Size) on tensors whose shape the signature fixes, and of deterministic
  nodes whose inputs are all static, are computed once (they are in the
  record, or computed by `build` when too large for it: up to
  STATIC_FOLD_BYTES) and their nodes leave the loop;
- arena values: outputs of nodes whose op can `bind` (a kernel, or a NumPy
  ufunc writing with `out=`) live in one arena, at offsets chosen from
  buffer lifetimes (arena.py); view ops (trait `view`: Reshape,
  Flatten, Squeeze, Unsqueeze, Identity) on them are views of the same
  memory;
  feeds read by bound nodes are copied into arena slots at the start;
- every other node runs its NumPy `op.run`, as in the slow path; when a
  bound node reads its output, that output is *adopted*: the NumPy step
  copies it into an arena slot of its own, so one node without a kernel
  costs its own time and never unbinds the nodes after it. An adopted
  value whose shape turns out to depend on the input values (NonZero, ...)
  raises ShapeChanged at run time; the session then runs that call
  unplanned and re-plans without adopting that value.

The loop is then a list of zero-argument callables: bound runners (argument
tuples fixed at plan time, ~one ctypes call each) and closures for NumPy
steps. Nothing is allocated by bound steps; graph outputs that live in (or
may alias) the arena are copied when returned, so results never alias it.

A NumPy step may return a view of its input (e.g. Transpose): each arena
buffer therefore lives until the last read of anything computed from it.
Nodes that do not fit (exotic dtypes, sequences, ops without `bind`) run
their NumPy `op.run` inside the plan; when no node at all can be bound,
`build` returns None (NOTHING_BINDABLE) and the slow path is used for that
signature. `build` raising is a bug in a plan: the session falls back to the
slow path and warns, or raises PlanError with WASM_INFER_PLAN=strict.

The step closures, the lowering of a step and the in-place and release
bookkeeping are in plan_steps.py; the arena layout is in arena.py.
"""
import os
import time

import numpy as np

from .arena import ALIGN, assign_offsets
from .errors import ModelError, ResourceError, WasmInferError, out_of_memory
from . import guards, inline_if, limits
from .ir import subgraphs
# the steps' pieces; ShapeChanged and BranchChanged are imported from here too
from .plan_steps import (BranchChanged, ShapeChanged, _contiguous, _generic, _in_place, _lower,  # noqa: F401
                         _moves_only_ones, _numpy_view, _plain, _release_lists, _view_step, record_list)

TAIL = 64             # bytes after the last buffer: room for documented kernel over-reads
RECORD_VALUE_BYTES = 1 << 16   # values up to this size are kept by the recording run
NOTHING_BINDABLE = "nothing bindable: no node can run in preallocated memory for these inputs"
_MODES = {"": "off", "0": "off", "off": "off", "1": "on", "on": "on", "strict": "strict"}


def mode():
    """WASM_INFER_PLAN: "on" (the default: a failing plan falls back to the
    slow path with a PlanWarning), "strict" (it raises PlanError) or "off"
    ("0": never plan). Any other value is a ValueError."""
    value = os.environ.get("WASM_INFER_PLAN", "1")
    found = _MODES.get(value.strip().lower())
    if found is None:
        raise ValueError(f"WASM_INFER_PLAN={value!r}: expected 1 (the default), strict or 0")
    return found


class Recorder(dict):
    """name -> (shape, dtype, value or None), filled by GraphRunner.run;
    `branches`: per If op run, (branch taken, the branch's Recorder) (inline_if)."""

    def __init__(self):
        super().__init__()
        self.branches = {}

    def add(self, name, value):
        if isinstance(value, np.ndarray):
            self[name] = (value.shape, value.dtype, value if value.nbytes <= RECORD_VALUE_BYTES else None)
        else:
            self[name] = (None, None, None)


def signature(runner, feeds):
    """Hashable key of the feeds' shapes and dtypes, or None if a feed is not a plain array."""
    key = []
    for v in runner.graph.inputs:
        x = feeds.get(v.name)
        if type(x) is not np.ndarray or x.dtype.names is not None or x.dtype.hasobject:
            return None
        key.append((x.shape, x.dtype.str))
    return tuple(key)


class Plan:
    """The bound steps and the arena for one signature; `run(feeds, names)`."""

    def __init__(self, runner, fns, where, env, feed_slots, copy_out, arena, buffers, total):
        self.runner, self.fns, self.where, self.env = runner, fns, where, env
        self.feed_slots, self.copy_out, self.arena = feed_slots, copy_out, arena
        self.buffers, self.arena_bytes = buffers, total
        self.drop_after = [n for n in runner.output_names if n not in env]   # NumPy-made outputs

    def step_info(self):
        """Per step of the loop: node, op type, "bound" or "numpy", and the
        lowering that computes it or why the op's NumPy run does."""
        return [{"node": op.node.name, "op_type": op.op_type, "how": how, "note": note}
                for op, how, note in zip(self.where, self.kinds, self.notes)]

    def memory_info(self):
        sizes = [b[1] for b in self.buffers]
        return {"arena_bytes": self.arena_bytes, "buffers": len(sizes), "unshared_bytes": sum(sizes),
                "steps": len(self.fns)}

    def run(self, feeds, names):
        env = self.env
        for name, slot in self.feed_slots:
            np.copyto(slot, feeds[name])
        env.update(feeds)
        for name, slot in self.feed_slots:
            env[name] = slot
        i = -1
        run_state, deadline = limits.run_deadline()      # None: no timeout, nothing to check per step
        try:
            if deadline is None:           # the hot loop: nothing but the steps
                for i, fn in enumerate(self.fns):
                    fn()
            else:
                clock = time.monotonic
                for i, fn in enumerate(self.fns):
                    if clock() > deadline:
                        run_state.expired(self._label(i))
                    fn()
            out = [env[n] for n in names]
        except (WasmInferError, ShapeChanged):
            raise
        except Exception as e:
            if out_of_memory(e):
                raise ResourceError(f"out of memory in {self._label(i)}: {type(e).__name__}: {e}") from None
            raise ModelError(f"{self._label(i)} failed: {type(e).__name__}: {e}") from e
        finally:
            for name in feeds:
                env.pop(name, None)
            for name in self.drop_after:
                env.pop(name, None)
        copy_out = self.copy_out
        return [np.array(v) if n in copy_out else v for n, v in zip(names, out)]

    def _label(self, i):
        op = self.where[i] if 0 <= i < len(self.where) else None
        return "the run loop" if op is None else f"node {op.node.name!r} ({op.op_type})"

    def profile(self, feeds, names, clock, outputs=None):
        """Like run, timing each step: [(op_type, node name, ms)]; the run's
        outputs are appended to the list `outputs` when one is given."""
        records, fns = [], self.fns
        wrapped = []
        for fn, op in zip(fns, self.where):
            def timed(fn=fn, op=op):
                t0 = clock()
                fn()
                records.append((op.op_type, op.node.name, (clock() - t0) * 1e3))
            wrapped.append(timed)
        self.fns = wrapped
        try:
            out = self.run(feeds, names)
        finally:
            self.fns = fns
        if outputs is not None:
            outputs.extend(out)
        return records


def _largest(names, sizes, steps):
    """'largest value: NAME (SIZE), the output of node N (OP)', for an arena refused as too large."""
    name, size = max(zip(names, sizes), key=lambda item: item[1])
    node = next((op.node for op, _, outs in steps if name in outs and getattr(op, "node", None) is not None), None)
    made_by = f", the output of node {node.name!r} ({node.op_type})" if node is not None else ", an input"
    return f"largest value: {name!r}, {limits._fmt(size)}{made_by}"


def build(runner, feeds, record, no_adopt=frozenset(), outer_constants=None):
    """A Plan for the signature of `feeds`, from the record of one slow run; None if planning does not apply.
    no_adopt: values not to adopt into the arena (their shape changed between runs, see ShapeChanged),
    and conditions of If nodes not to inline (BranchChanged).
    outer_constants: for a subgraph, the outer-scope values it reads that are constants (initializers of
    an enclosing graph): static here, like its own initializers."""
    steps, promotes = runner.steps, runner.promote
    constants = runner.graph.initializers
    if outer_constants:
        constants = {**outer_constants, **constants}
    flat = inline_if.expand(runner, feeds, record, no_adopt, outer_constants)
    if flat is not None:     # recorded If nodes replaced by their taken branch's steps
        steps, promotes, record = flat.steps, flat.promote, flat.record
        constants = {**flat.constants, **constants}
    guarded = inline_if.guarded_feeds(steps, feeds, constants, no_adopt) if flat is not None else {}
    if guarded:              # small inputs (a sample rate) that select the inlined branches: static, checked
        first_if = next(op.node.name for op, _, _ in steps if isinstance(op, inline_if.BranchGuard))
        steps = [(inline_if.FeedGuard(guarded, first_if), tuple(guarded), ())] + steps
        promotes = [False] + promotes
    kind = {n: "static" for n in constants}
    kind.update({n: "feed" for n in feeds if n not in guarded})
    kind.update({n: "static" for n in guarded})
    static = {**constants, **guarded}
    base = {}          # arena or alias name -> arena buffer name
    decided = []       # per step: "static" / "alias" / "bound" / "numpy"

    def spec(n):
        """(shape, dtype) of an input as the record saw it; None when absent."""
        if not n:
            return None
        if n in feeds:
            return feeds[n].shape, feeds[n].dtype
        v = static.get(n)
        if isinstance(v, np.ndarray):
            return v.shape, v.dtype
        return record[n][:2] if n in record else (None, None)

    def adoptable(n):
        """A NumPy step's plain array output, which a bound successor can read from an arena slot."""
        return kind.get(n) == "numpy" and n not in no_adopt and _plain(record.get(n))
    adopted = set()    # NumPy-made values that live in the arena so that bound steps can read them
    folded = [0]       # bytes of static values computed here (not kept by the record)
    kernels = runner.ctx.kernels
    # the recording run's kernel lowerings per step (the same steps unless If branches were inlined)
    known = runner.lowered if steps is runner.steps and runner.lowered is not None else None
    lowered = {}       # step index -> lowering.Lowered (its bound runner is made below)
    why = {}           # step index -> why a NumPy step did not lower
    for i, (op, ins, outs) in enumerate(steps):
        tins = [n for n in ins if n]
        recs = [record.get(n) for n in outs if n]
        node = op.node
        if not all(_plain(r) for r in recs):
            how = "numpy"
        elif op.shape_only and tins and \
                kind.get(tins[0]) in ("static", "feed", "arena") and all(r[2] is not None for r in recs):
            how = "static"
        elif op.deterministic and not any(True for _ in subgraphs(node)) and \
                all(kind.get(n) == "static" for n in tins) and _fold(op, ins, outs, static, record, folded):
            how = "static"
        elif tins and kind.get(tins[0]) in ("arena", "feed") and len(outs) == 1 and (
                (op.view and all(kind.get(n) == "static" for n in tins[1:])) or
                (node.domain == "" and op.op_type == "Transpose" and
                 _moves_only_ones(spec(tins[0])[0], node.attrs.get("perm")))):
            how = "alias"
        elif all(kind.get(n) in ("static", "arena", "feed") or adoptable(n) for n in tins) and \
                _lower(op, [spec(n) for n in ins], kernels, outs, record, lowered, why, i,
                       known[i] if known is not None else None):
            how = "bound"
            for n in tins:
                if kind.get(n) == "numpy":   # its NumPy producer copies it into an arena slot
                    kind[n], base[n] = "arena", n
                    adopted.add(n)
        else:
            how = "numpy"
        decided.append(how)
        for n, r in zip(outs, record_list(outs, record)):
            if not n:
                continue
            if how == "static":
                kind[n], static[n] = "static", r[2]
            elif how == "alias":
                kind[n] = "arena"
                base[n] = base.get(tins[0], tins[0])
            elif how == "bound":
                kind[n] = "arena"
                base[n] = n
            else:
                kind[n] = "numpy"
        if how in ("alias", "bound"):
            for n in tins:
                if kind.get(n) == "feed":
                    base[n] = n          # the feed gets an arena slot
    if "bound" not in decided:
        return None

    # lifetimes: an arena buffer lives from its producer to the last read of
    # anything computed from it (NumPy steps may return views of inputs)
    n_steps = len(steps)
    derived = {n: {b} for n, b in base.items()}
    first, last = {}, {}
    for b in set(base.values()):
        first[b] = -1 if kind.get(b) == "feed" else None
    for i, ((op, ins, outs), how) in enumerate(zip(steps, decided)):
        if how == "static":
            continue
        reads = set()
        for n in ins:
            if n:
                reads |= derived.get(n, set())
        for b in reads:
            last[b] = i
        for n in outs:
            if n and n in base and base[n] == n:
                first[n] = i
            elif n and how == "numpy" and reads:
                derived[n] = set(reads)
            elif n and how == "alias":
                derived[n] = set(reads)
    outputs = runner.output_names
    copy_out = set()
    for n in outputs:
        if derived.get(n) or kind.get(n) == "static":
            copy_out.add(n)
        for b in derived.get(n, ()):
            last[b] = n_steps
    merged = _in_place(steps, decided, base, derived, first, last, kind, record)
    names = sorted(b for b in first if first[b] is not None or kind.get(b) == "feed")
    sizes = []
    for b in names:
        shape, dtype = (feeds[b].shape, feeds[b].dtype) if kind.get(b) == "feed" else record[b][:2]
        sizes.append(int(np.prod(shape, dtype=np.int64)) * dtype.itemsize)
    guard = guards.pad()   # WASM_INFER_DEBUG=checks: guard bytes around each buffer (guards.py)
    buffers = [(max(s, 1) + 2 * guard, first[b], last.get(b, first[b])) for b, s in zip(names, sizes)]
    offsets, total = assign_offsets(buffers)
    if total + TAIL + ALIGN > limits.budget():     # refused before it is allocated, naming its largest value
        limits.check_arena(total + TAIL + ALIGN, f"the memory plan of the {runner.where} for these inputs "
                                                 f"({_largest(names, sizes, steps)})")
    arena = np.empty(total + TAIL + ALIGN, np.uint8)
    shift = (-arena.ctypes.data) % ALIGN
    views = {}
    for b, off, s in zip(names, offsets, sizes):
        shape, dtype = (feeds[b].shape, feeds[b].dtype) if kind.get(b) == "feed" else record[b][:2]
        views[b] = arena[shift + off + guard: shift + off + guard + s].view(dtype).reshape(shape)

    env = {n: v for n, v in static.items()}
    for b, into in merged.items():        # outputs written over an input that dies there
        views[b] = views[into].reshape(record[b][0])
    env.update(views)
    fns, where, kinds, notes = [], [], [], []
    release = _release_lists(steps, decided, kind, outputs)
    for i, ((op, ins, outs), how, rel, promote) in enumerate(zip(steps, decided, release, promotes)):
        if how == "static":
            continue
        if how == "alias":
            x = env[ins[0]]
            env[outs[0]] = x.reshape(record[outs[0]][0])
            continue
        if how == "bound":
            # a static value may be a strided view (a Split or Slice of a constant):
            # binders get it C-contiguous, as they get arena buffers
            lowered[i].static = frozenset(j for j, n in enumerate(ins) if n and kind.get(n) == "static")
            fn = lowered[i].bind([(_contiguous(env[n]) if kind.get(n) == "static" else env[n]) if n
                                  else None for n in ins], [env[n] if n else None for n in outs])
            lowered[i].static = frozenset()   # it may be the unplanned loop's too (known): nothing fixed there
        elif _numpy_view(op, ins, outs, kind, record, no_adopt):
            fn = _view_step(op, ins[0], outs[0], record[ins[0]][:2], record[outs[0]][0], env, rel,
                            views[outs[0]] if outs[0] in adopted else None)
            why[i] = "a reshape of a NumPy-made value"
        else:
            fn = _generic(op, ins, outs, env, rel, promote, {n: views[n] for n in outs if n in adopted})
        fns.append(fn)
        where.append(op)
        kinds.append(how)
        notes.append(lowered[i].name if how == "bound" else why.get(i, "an input is not in the arena"))
    feed_slots = [(n, views[n]) for n in names if kind.get(n) == "feed"]
    buf_info = [(b, s, first[b], last.get(b, first[b])) for b, s in zip(names, sizes)]
    plan = Plan(runner, fns, where, env, feed_slots, copy_out, arena, buf_info, total)
    plan.kinds, plan.adopted = kinds, adopted   # per step "bound" or "numpy"; NumPy outputs in the arena
    plan.notes = notes                          # per step: the lowering, or why the step runs NumPy
    plan.steps = steps                          # the steps planned: the runner's, If branches inlined
    return guards.instrument(plan) if guard else plan


STATIC_FOLD_BYTES = 1 << 24   # bytes of static values a plan may compute itself (weights re-sliced)


def _fold(op, ins, outs, static, record, folded):
    """Can the node's outputs be computed once, at plan time? Its inputs are
    static; values too large for the record (weights sliced and concatenated
    for an LSTM) are computed here from them, as the recording run did, up
    to STATIC_FOLD_BYTES per plan (folded[0] counts them)."""
    recs = [record[n] for n in outs if n]
    if all(r[2] is not None for r in recs):
        return True
    nbytes = sum(int(np.prod(r[0], dtype=np.int64)) * r[1].itemsize for r in recs)
    if folded[0] + nbytes > STATIC_FOLD_BYTES:
        return False
    folded[0] += nbytes
    values = op.run(*[static[n] if n else None for n in ins])
    for n, v in zip(outs, values):
        if n and (not isinstance(v, np.ndarray) or v.shape != tuple(record[n][0]) or v.dtype != record[n][1]):
            return False
    for n, v in zip(outs, values):
        if n:
            record[n] = (record[n][0], record[n][1], v)
    return True
