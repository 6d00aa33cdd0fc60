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
"""
import os
import time

import numpy as np

from .arena import ALIGN, assign_offsets
from .errors import ModelError, ResourceError, WasmInferError, out_of_memory
from . import guards, inline_if, limits, lowering
from .ir import subgraphs

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


def _moves_only_ones(shape, perm):
    """Does this Transpose keep the memory order (it only moves axes of size 1)?"""
    if shape is None:
        return False
    perm = list(perm) if perm else list(range(len(shape)))[::-1]
    moved = [a for a in perm if shape[a] != 1]
    return moved == sorted(moved)


def _plain(rec):
    return rec is not None and rec[1] is not None and rec[1].names is None and not rec[1].hasobject


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


def _lower(op, specs, kernels, outs, record, lowered, why, i, known=None):
    """Lower step i (lowering registry); True when it binds. A lowering whose
    outputs differ from what the node computed in the recorded run is a bug.
    known: the recording run's lowerings of this step (GraphRunner.lowered[i]):
    one for these very specs is what the registry would return again (the
    first kernel entry that applies comes before any NumPy one)."""
    low = _recorded_lowering(known, specs) if known else None
    if low is None:
        low = lowering.lower(op, specs, kernels)
    if not low:
        why[i] = low.reason
        return False
    got = [(tuple(shape), np.dtype(dtype)) for shape, dtype in low.outputs]    # the node's named outputs (lower)
    want = [(tuple(record[n][0]), record[n][1]) for n in outs[:len(got)]]
    if got != want:
        raise ValueError(f"lowering {low.name} of node {op.node.name!r} ({op.op_type}) gives outputs {got}, "
                         f"the node computed {want}")
    lowered[i] = low
    return True


def _recorded_lowering(known, specs):
    """The kernel lowering the recording run used for inputs `specs`, or None."""
    for key, low in known.items():
        if low is not None and len(key) == len(specs) and all(
                k == sp if k is None or type(k) is tuple else sp == (None, None) for k, sp in zip(key, specs)):
            return low
    return None


class ShapeChanged(Exception):
    """A NumPy step's output that the plan adopted into an arena slot came out
    with another shape or dtype than in the recorded run (its shape depends on
    the input values, e.g. NonZero): the session re-plans without adopting it."""

    def __init__(self, name, op):
        super().__init__(f"value {name!r} of node {op.node.name!r} ({op.op_type}) changed shape between runs")
        self.name = name


class BranchChanged(ShapeChanged):
    """The condition of an If the plan inlined (inline_if) selects the other
    branch: the call runs unplanned, the next plan keeps that If as a step."""

    def __init__(self, name, op):
        Exception.__init__(self, f"{name!r} selects another branch of If {op.node.name!r} than the one the "
                                 "plan inlined")
        self.name = name


def _generic(op, ins, outs, env, release, promote, slots):
    """A step running the op's NumPy `run`; outputs in `slots` (adopted into the
    arena) are copied into their slot, where bound steps read them."""
    from .graph_runner import _run_promoted
    run = op.run

    def step():
        args = [env[n] if n else None for n in ins]
        if promote and any(type(a) is np.ndarray and a.dtype.names for a in args):
            results = _run_promoted(op, args)
        else:
            results = run(*args)
        for name, value in zip(outs, results):
            if not name:
                continue
            slot = slots.get(name)
            if slot is None:
                env[name] = np.asarray(value) if isinstance(value, np.generic) else value
                continue
            value = np.asarray(value)
            if value.shape != slot.shape or value.dtype != slot.dtype:
                raise ShapeChanged(name, op)
            np.copyto(slot, value)
        for name in release:
            env.pop(name, None)
    return step


def _numpy_view(op, ins, outs, kind, record, no_adopt):
    """A view op (Reshape, Squeeze, Unsqueeze, ...) of a NumPy-made value whose
    other inputs are static: its output's shape is fixed by the input's, so the
    step is a reshape to the recorded shape (no op `run`)."""
    tins = [n for n in ins if n]
    return (op.view and len(outs) == 1 and tins and tins[0] == ins[0] and kind.get(ins[0]) == "numpy" and
            all(kind.get(n) == "static" for n in tins[1:]) and
            not {ins[0], outs[0]} & set(no_adopt) and _plain(record.get(ins[0])) and _plain(record.get(outs[0])))


def _view_step(op, x_name, y_name, x_spec, y_shape, env, release, slot):
    """The step of _numpy_view; `slot`: the output's arena slot when a bound step reads it."""
    (x_shape, x_dtype), y_shape = (tuple(x_spec[0]), x_spec[1]), tuple(y_shape)

    def step():
        x = env[x_name]
        # made by NumPy: its shape may depend on the data
        if type(x) is not np.ndarray or x.shape != x_shape or x.dtype != x_dtype:
            raise ShapeChanged(y_name, op)
        if slot is None:
            env[y_name] = x.reshape(y_shape)
        else:
            np.copyto(slot, x.reshape(y_shape))
        for name in release:
            env.pop(name, None)
    return step


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


def _contiguous(v):
    """A C-contiguous copy of a strided static array, of the same shape (also 0-d)."""
    if type(v) is np.ndarray and not v.flags.c_contiguous:
        return np.ascontiguousarray(v).reshape(v.shape)
    return v


def _in_place(steps, decided, base, derived, first, last, kind, record):
    """Let a bound step that allows it (op.inplace: input indices) write its
    output over an input whose buffer is read for the last time there and has
    the output's shape and dtype (residual Add, activations). Merged buffers
    leave `first`/`last`; returns {merged buffer: buffer it lives in}."""
    into = {}

    def find(b):
        while b in into:
            b = into[b]
        return b
    for i, ((op, ins, outs), how) in enumerate(zip(steps, decided)):
        if how != "bound" or not op.inplace or not outs or not outs[0] or base.get(outs[0]) != outs[0]:
            continue
        out = outs[0]
        for j in op.inplace:
            n = ins[j] if j < len(ins) else ""
            bs = derived.get(n, ()) if n and kind.get(n) == "arena" else ()
            if len(bs) != 1:
                continue
            b = find(next(iter(bs)))
            if kind.get(b) == "feed" or last.get(b) != i or record[n][:2] != record[out][:2] or \
                    record[b][:2] != record[out][:2]:
                continue
            into[out] = b
            last[b] = last.get(out, i)
            del first[out]
            last.pop(out, None)
            break
    return {b: find(b) for b in into}


def record_list(outs, record):
    return [record.get(n, (None, None, None)) if n else None for n in outs]


def _release_lists(steps, decided, kind, outputs):
    """Per step, the NumPy-produced values no later step or output reads."""
    keep = set(outputs)
    last = {}
    for i, ((_, ins, _), how) in enumerate(zip(steps, decided)):
        if how == "static":
            continue
        for n in ins:
            if n and kind.get(n) == "numpy":
                last[n] = i
    release = [[] for _ in steps]
    for n, i in last.items():
        if n not in keep:
            release[i].append(n)
    return release
