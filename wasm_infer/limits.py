"""Memory limits: what a wasm32 process can hold, checked before allocating.

A WebAssembly module with 32-bit memory addresses at most 4 GiB, and
Pyodide's heap grows up to exactly that (its `WebAssembly.Memory` has
maximum = 4 GiB) and never shrinks. The interpreter, numpy, the model's bytes
and its arrays all live in that one heap, so a model whose tensors (or whose
planned working memory) cannot fit is refused with `ResourceError` before
anything is allocated, rather than failing halfway or growing the heap for
good. The same limits apply natively, so a model that loads in CPython also
fits in the browser.

`WASM_INFER_MAX_MEMORY` (bytes; suffixes K, M, G allowed) lowers the budget,
e.g. for a page that must leave room for other things, and for tests.

Besides memory, what a small file can make large is bounded too: the nodes
that inlining model-local functions creates (`WASM_INFER_MAX_NODES`), the
outputs of ops that can outgrow their inputs (`check_output`: Range,
ConstantOfShape, Expand, Tile, Resize, broadcasts, products, ...), the
Python objects decoding the file makes and the constants folded at load
(both charged to the model's Budget), and at run time
the Loop/Scan iterations of one run (`WASM_INFER_MAX_LOOP_TRIPS`) and an
optional deadline (`RunState`), which the ops that loop in Python over their
data also check as they go (`deadline_check`).
"""
import contextvars
import math
import os
import time

from .errors import DeadlineError, ResourceError

WASM32_MEMORY = 4 << 30          # the most a wasm32 heap can grow to
MAX_TENSOR_BYTES = 2 << 30       # one array: kernels index with int32, and numpy needs it contiguous
MODEL_BUDGET = 3 << 30           # model bytes + constant tensors: leave ~1 GiB for Python, numpy and the arena
MAX_NODES = 500_000              # nodes after inlining functions: a Node costs ~1 KiB of Python objects
MAX_LOOP_TRIPS = 250_000         # Loop/Scan iterations per run: ~2 s of a trivial body natively, ~10 s in Pyodide
# Multiply-adds (or comparisons) one node may take in one NumPy or kernel call, which nothing
# interrupts: about a minute natively, several in Pyodide. A MaxPool whose window is as large as
# its 4 MB input, or an Einsum of five 4 kB vectors, asks for 10**12 to 10**15.
MAX_WORK = 1 << 36

_SUFFIX = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def budget():
    """Bytes a model (file + tensors) or an arena may use: MODEL_BUDGET unless
    WASM_INFER_MAX_MEMORY asks for less."""
    text = os.environ.get("WASM_INFER_MAX_MEMORY", "").strip().upper()
    if not text:
        return MODEL_BUDGET
    scale = _SUFFIX.get(text[-1:], 1)
    try:
        value = int(float(text[:-1] if scale != 1 else text) * scale)
    except ValueError:
        return MODEL_BUDGET
    return max(0, min(value, MODEL_BUDGET))


def _env_count(name, default):
    """A positive integer from the environment variable `name`, else `default`."""
    text = os.environ.get(name, "").strip().replace("_", "")
    try:
        value = int(float(text)) if text else default
    except ValueError:
        return default
    return value if value > 0 else default


def max_nodes():
    """Nodes a session may hold after inlining model-local functions (WASM_INFER_MAX_NODES)."""
    return _env_count("WASM_INFER_MAX_NODES", MAX_NODES)


def max_loop_trips():
    """Loop and Scan iterations one run may make in all (WASM_INFER_MAX_LOOP_TRIPS)."""
    return _env_count("WASM_INFER_MAX_LOOP_TRIPS", MAX_LOOP_TRIPS)


def _fmt(n):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def check_tensor(nbytes, what):
    """Refuse one array of `nbytes` before it is allocated."""
    limit = min(MAX_TENSOR_BYTES, budget())
    if nbytes > limit:
        raise ResourceError(f"{what} needs {_fmt(nbytes)}, more than the {_fmt(limit)} one tensor may use "
                            f"in wasm32 memory")


class Budget:
    """Running total of what a model loads (file bytes, the objects decoding
    makes, tensors, folded constants)."""

    def __init__(self, what="the model"):
        self.what, self.used, self.limit = what, 0, budget()

    def add(self, nbytes, item):
        self.used += int(nbytes)
        if self.used > self.limit:
            raise ResourceError(f"{self.what} needs more than {_fmt(self.limit)} of memory (at {item}: "
                                f"{_fmt(self.used)} so far); a wasm32 heap holds at most {_fmt(WASM32_MEMORY)}")


def check_arena(nbytes, what="the memory plan"):
    """For planners: refuse an arena of `nbytes` that cannot fit in wasm32 memory."""
    limit = budget()
    if nbytes > limit:
        raise ResourceError(f"{what} needs an arena of {_fmt(nbytes)} ({nbytes:,} bytes), more than the memory "
                            f"budget of {_fmt(limit)} ({limit:,} bytes; WASM_INFER_MAX_MEMORY, at most "
                            f"{_fmt(MODEL_BUDGET)})")


# Set while constants are folded at load: what the model's Budget has left,
# so that check_output refuses a folded tensor that would overrun it.
_allowance = contextvars.ContextVar("wasm_infer_allowance", default=None)


_SMALL = 1 << 20


class allowance:
    """Context manager: check_output also refuses more than `nbytes` inside it."""

    def __init__(self, nbytes):
        self.nbytes = nbytes

    def __enter__(self):
        self.token = _allowance.set(self.nbytes)

    def __exit__(self, *exc):
        _allowance.reset(self.token)


def check_output(op, shape, itemsize):
    """For ops whose output can outgrow their inputs: its size comes from
    input values or attributes (Range, ConstantOfShape, Resize, a Conv's
    pads...), from broadcasting (check_broadcast), a product (check_matmul),
    repeated indices or iterations: refuse an output of `shape` before it is
    allocated. `op`: the Op, or a label naming the node. Python ints: a
    product of huge dims cannot overflow."""
    count = 1
    for d in shape:
        count *= max(int(d), 0)
    nbytes = count * itemsize
    if nbytes > _SMALL:     # cheap on hot paths; a folded constant is charged to the Budget right after
        _check_bytes(op, nbytes, lambda: f"a tensor of shape {[int(d) for d in shape]}")
    return nbytes


def check_objects(op, count, each, what):
    """For ops that make a Python object per element or row (SplitToSequence's
    pieces, ZipMap's dicts): `count` objects of about `each` bytes, refused
    as check_output refuses a tensor. A NumPy view costs ~120 bytes whatever
    it views, so a 4 MB tensor split into its 1,000,000 numbers is ~120 MB
    of objects. `what`: the objects, plural ("tensors in a sequence")."""
    nbytes = count * each
    if nbytes > _SMALL:
        _check_bytes(op, nbytes, lambda: f"{count:,} {what}")
    return nbytes


def check_work(op, count, what):
    """Refuse a node that would take more than MAX_WORK operations in calls
    nothing can interrupt; `what` says what they are ("multiply-adds: 10 outputs
    of a 9-value window each")."""
    if count > MAX_WORK:
        raise ResourceError(f"{_who(op)} would take {count:.1e} {what}, more than the {MAX_WORK:.1e} operations one "
                            "node may take (no deadline can interrupt a single NumPy or kernel call)")


def _who(op):
    """How the errors here name `op`: the Op's node, or the label given instead."""
    return op if isinstance(op, str) else f"node {op.node.name!r} ({op.op_type})"


def _check_bytes(op, nbytes, made):
    limit = min(MAX_TENSOR_BYTES, budget())
    left = _allowance.get()
    if left is not None and left < limit:
        limit, what = max(left, 0), "the model's memory budget has left"
    else:
        what = "one tensor may use (WASM_INFER_MAX_MEMORY)"
    if nbytes > limit:
        raise ResourceError(f"{_who(op)} would make {made()} ({_fmt(nbytes)}), more than the {_fmt(limit)} {what}")


def check_broadcast(op, arrays, itemsize=None):
    """For ops that broadcast their inputs against each other (Add, Where,
    Max, ...): an [N, 1] and a [1, N] of a few kB make N * N. Checked with
    check_output only when the result outgrows the largest input, so the
    common cases (same shapes, a scalar or a per-channel operand) cost a
    shape comparison. itemsize: of the result (default: the largest input's)."""
    shapes = [getattr(a, "shape", ()) for a in arrays if a is not None]
    first = shapes[0]
    if all(s == first for s in shapes):
        return
    dims = broadcast_dims(shapes)
    if math.prod(dims) > max(getattr(a, "size", 1) for a in arrays if a is not None):
        check_output(op, dims, itemsize or max(getattr(a, "itemsize", 8) for a in arrays if a is not None))


def broadcast_dims(shapes):
    """NumPy's broadcast of `shapes`, computed without NumPy (which refuses
    huge dims inside Pyodide before the check could name the node); for
    shapes that do not broadcast, each axis's largest dim (NumPy then says
    why)."""
    rank = max((len(s) for s in shapes), default=0)
    dims = [1] * rank
    for s in shapes:
        for i, d in enumerate(s, rank - len(s)):
            if d != 1 and dims[i] != 0:
                dims[i] = d if dims[i] == 1 or d == 0 else max(dims[i], d)
    return dims


def check_matmul(op, a_shape, b_shape, itemsize):
    """For MatMul-like ops: the product's shape (NumPy's matmul rules: a 1-d
    operand loses its axis, batch axes broadcast) checked with check_output
    when it outgrows both operands ([N, 1] @ [1, N] is N * N)."""
    m = [a_shape[-2]] if len(a_shape) >= 2 else []
    n = [b_shape[-1]] if len(b_shape) >= 2 else []
    dims = broadcast_dims([a_shape[:-2], b_shape[:-2]]) + m + n
    if math.prod(dims) > max(math.prod(a_shape), math.prod(b_shape)):
        check_output(op, dims, itemsize)


class RunState:
    """The run-time budget of one InferenceSession.run: a deadline
    (time.monotonic() seconds, None for none) and the Loop/Scan iterations
    left. Run loops read `deadline` once and compare per step; Loop and Scan
    call `trip` per iteration."""
    __slots__ = ("deadline", "timeout", "trips_left", "max_trips")

    def __init__(self, timeout=None):
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.max_trips = self.trips_left = None     # read at the first Loop/Scan iteration: most runs have none

    def expired(self, where):
        """Raise DeadlineError naming `where` (a node label) if the deadline has passed."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise DeadlineError(f"the run exceeded its timeout of {self.timeout:g} s; stopped at {where}")

    def trip(self, where):
        """One Loop/Scan iteration at `where`: count it and check the deadline."""
        if self.trips_left is None:
            self.max_trips = self.trips_left = max_loop_trips()
        self.trips_left -= 1
        if self.trips_left < 0:
            raise ResourceError(f"{where}: more than {self.max_trips} Loop/Scan iterations in one run "
                                "(WASM_INFER_MAX_LOOP_TRIPS)")
        if self.deadline is not None:
            self.expired(where)


_run_state = contextvars.ContextVar("wasm_infer_run", default=None)


def current_run():
    """The RunState of the run in progress; outside a session's run (an op
    called directly) a fresh one: no deadline, the default trip budget."""
    state = _run_state.get()
    return RunState() if state is None else state


def run_deadline():
    """(the RunState of the run in progress or None, its deadline or None): what
    the run loops check per step. A session sets no RunState for a run with no
    timeout and no Loop/Scan to count, so such runs pay nothing for it."""
    state = _run_state.get()
    return (None, None) if state is None else (state, state.deadline)


def _no_check():
    pass


def deadline_check(op):
    """For ops that loop in Python over their data (an LSTM's time steps,
    NonMaxSuppression's boxes, MaxRoiPool's bins, a pool's window taps...): a
    function to call once per iteration, which raises DeadlineError naming
    the node once the run's deadline has passed, so that one node cannot
    outlast `run(timeout=...)` by minutes. Without a deadline it does nothing
    (one call, no clock)."""
    state, deadline = run_deadline()
    if deadline is None:
        return _no_check
    clock = time.monotonic

    def check():
        if clock() > deadline:
            state.expired(_who(op))
    return check


class running:
    """Context manager: `state` (a RunState) is the current run's."""

    def __init__(self, state):
        self.state = state

    def __enter__(self):
        self.token = _run_state.set(self.state)
        return self.state

    def __exit__(self, *exc):
        _run_state.reset(self.token)
