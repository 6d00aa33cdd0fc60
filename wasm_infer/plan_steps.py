"""The pieces of a plan's steps (plan.py builds the plan from them).

How a step is lowered to a bound kernel runner (_lower, reusing the recording
run's lowering), the closures for steps that stay NumPy (_generic: an op's
`run`, its outputs adopted into arena slots; _view_step: a reshape of a
NumPy-made value), the exceptions a run raises when the recorded shapes or If
branches no longer hold (ShapeChanged, BranchChanged), and the bookkeeping
`build` does over the step list: outputs written in place over a dying input
(_in_place) and the NumPy values each step may drop (_release_lists).
"""
import numpy as np

from . import lowering


def _moves_only_ones(shape, perm):
    """Does this Transpose keep the memory order (it only moves axes of size 1)?"""
    if shape is None:
        return False
    perm = list(perm) if perm else list(range(len(shape)))[::-1]
    moved = [a for a in perm if shape[a] != 1]
    return moved == sorted(moved)


def _plain(rec):
    return rec is not None and rec[1] is not None and rec[1].names is None and not rec[1].hasobject



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
