"""Guard mode (`WASM_INFER_DEBUG=checks`): guard bytes around every arena
buffer, checked after every step of the run loop.

The kernels write straight into Pyodide's heap; Python checks every extent
before a call (the binders of the kernels package), and this mode checks the
result: each buffer of a memory plan (plan.py) gets GUARD bytes before and
after it, filled with a pattern when the buffer's lifetime starts; after
every step, the guards of every buffer alive at that step must still hold
the pattern. A kernel (or a NumPy step writing with out=) that wrote past its
buffer is caught at the step that did it, with the buffer and node named, as
a `GuardError`.

Buffers whose lifetimes do not overlap may share memory, so guards are
painted at the start of each buffer's lifetime and checked only while it is
alive. Costs one vectorised compare per step; off by default.
"""
import os

import numpy as np

from .errors import WasmInferError

GUARD = 64            # bytes on each side of a buffer (a multiple of the plan's alignment)
PATTERN = 0xA5


class GuardError(WasmInferError):
    """Guard bytes around an arena buffer were overwritten: a kernel wrote out of bounds."""


def enabled():
    """Is `checks` among the comma-separated words of WASM_INFER_DEBUG?"""
    return "checks" in os.environ.get("WASM_INFER_DEBUG", "").replace(" ", "").split(",")


def pad():
    """Bytes the planner adds before (and after) each buffer: GUARD in guard mode, else 0."""
    return GUARD if enabled() else 0


def instrument(plan):
    """Wrap the plan's steps with guard painting and checking (plan.py calls
    this when `enabled()`; the plan must have been built with `pad()` bytes
    around each buffer). Returns the plan."""
    arena = plan.arena
    base = arena.ctypes.data
    arena[:] = PATTERN
    step_of = {id(op): i for i, (op, _, _) in enumerate(plan.steps)}     # (with If branches inlined)
    guards = []        # (buffer name, first step, last step, byte indices of its guards)
    for name, size, first, last in plan.buffers:
        view = plan.env.get(name)
        if not isinstance(view, np.ndarray) or not view.size:
            continue
        start = view.ctypes.data - base
        if start < GUARD or start + size + GUARD > arena.size:
            continue       # not a padded arena buffer (e.g. written in place over another)
        idx = np.concatenate([np.arange(start - GUARD, start), np.arange(start + size, start + size + GUARD)])
        guards.append((name, first, last, idx))
    plan.guards = guards
    fns = list(plan.fns)
    wrapped = []
    for fn, op in zip(fns, plan.where):
        i = step_of.get(id(op), -1)
        paint = [g[3] for g in guards if g[1] == i]
        live = [g for g in guards if g[1] <= i <= g[2]]
        check = np.concatenate([g[3] for g in live]) if live else None
        wrapped.append(_guarded(fn, op, arena, paint, check, live))
    plan.fns = wrapped
    _wrap_run(plan, [g[3] for g in guards if g[1] < 0])
    return plan


def _guarded(fn, op, arena, paint, check, live):
    def step():
        for idx in paint:
            arena[idx] = PATTERN
        fn()
        if check is not None and not (arena[check] == PATTERN).all():
            raise GuardError(_report(op, arena, live))
    return step


def _wrap_run(plan, feed_guards):
    """Feed slots live from the start: paint their guards before each run."""
    run = plan.run

    def guarded_run(feeds, names):
        for idx in feed_guards:
            plan.arena[idx] = PATTERN
        return run(feeds, names)
    plan.run = guarded_run


def _report(op, arena, live):
    bad = []
    for name, _, _, idx in live:
        hit = idx[arena[idx] != PATTERN]
        if hit.size:
            side = "after" if hit[0] > idx[GUARD - 1] else "before"
            bad.append(f"{hit.size} guard bytes {side} buffer {name!r}")
    where = f"node {op.node.name!r} ({op.op_type})" if op is not None else "a step"
    return (f"memory check failed after {where}: {', '.join(bad) or 'guard bytes'} were overwritten "
            "(a kernel wrote outside its buffer; WASM_INFER_DEBUG=checks)")
