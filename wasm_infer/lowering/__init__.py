"""The lowering registry: the one place that decides which bound runner
computes a node, instead of its op's NumPy `run`.

An entry is `(domain, op_type) -> binder`, registered with `@lowering(...)`
in one module per family (gemm, conv, elementwise, pooling; numpy_out for
the NumPy ufuncs that write into preallocated memory). A binder receives
the op (its attributes, and constant inputs through `op.constant(i)`), the
(shape, dtype) of every input (None for an absent one) and the kernel module
(None on the NumPy backend). It checks everything it needs once and returns

- `Lowered(outputs, bind, name)`: the (shape, dtype) of every output (the
  node's named outputs must be exactly these, absent trailing optional ones
  aside, or the entry does not apply), and
  `bind(inputs, outputs)` -> a zero-argument runner computing into those very
  arrays (a kernel call with its argument tuple fixed, or a ufunc with out=);
- or `NotApplicable(reason)`: the op's NumPy `run` computes the node.

Binders never raise for shapes or dtypes they cannot handle, and a kernel is
only called on arrays its binder checked (the kernels' own checked wrappers
check again at bind time). Weights are packed once per node (`cached`).

Users: the memory plan (plan.py) binds every node that lowers into its arena;
the unplanned run loop (graph_runner.py) runs kernel entries on fresh arrays,
so subgraphs and first runs use the kernels too.
"""
import importlib
import pkgutil

import numpy as np

REGISTRY = {}     # (domain, op_type) -> [Entry], kernel entries first
_loaded = False


class Lowered:
    __slots__ = ("outputs", "bind", "name", "static")

    def __init__(self, outputs, bind, name):
        self.outputs, self.bind, self.name = outputs, bind, name
        # indices of the inputs whose values the memory plan fixed for its signature (computed
        # once, at plan time), set before `bind`: a binder may treat them as constants
        self.static = frozenset()


class NotApplicable:
    __slots__ = ("reason",)

    def __init__(self, reason):
        self.reason = reason

    def __bool__(self):
        return False


class Entry:
    def __init__(self, domain, op_type, fn, kernel, name):
        self.domain, self.op_type, self.fn, self.kernel, self.name = domain, op_type, fn, kernel, name


def lowering(op_type, domain="", kernel=True, name=None):
    """Register a binder for (domain, op_type). kernel=False: a NumPy binder
    (no wasm kernels needed), tried after the kernel entries."""
    def deco(fn):
        entries = REGISTRY.setdefault((domain, op_type), [])
        entries.append(Entry(domain, op_type, fn, kernel, name or fn.__name__))
        entries.sort(key=lambda e: not e.kernel)     # stable: registration order within a kind
        return fn
    return deco


def load_all():
    global _loaded
    if not _loaded:
        for mod in pkgutil.iter_modules(__path__):
            if not mod.name.startswith("_"):
                importlib.import_module(f"{__name__}.{mod.name}")
        _loaded = True
    return REGISTRY


def entries(domain, op_type):
    return load_all().get((domain, op_type), [])


def lower(op, specs, kernels, numpy_out=True):
    """The first entry for `op` that applies to inputs `specs` [(shape, dtype)
    or None], as a Lowered; else NotApplicable saying why each entry did not."""
    reasons = []
    for e in entries(op.domain, op.op_type):
        if e.kernel and kernels is None:
            reasons.append(f"{e.name}: no wasm kernels (NumPy backend)")
            continue
        if not e.kernel and not numpy_out:
            continue
        try:
            found = e.fn(op, specs, kernels)
        except (ValueError, ArithmeticError) as err:   # a geometry or packing that does not compute
            found = NotApplicable(f"{type(err).__name__}: {err}")   # (anything else is a bug: it propagates)
        if found:
            named = [bool(n) for n in op.node.outputs]
            n = len(found.outputs)
            if named == [True] * n + [False] * (len(named) - n):
                return found
            # e.g. LayerNormalization asked for Mean and InvStdDev too: the op's run computes them
            found = NotApplicable(f"the node's outputs {list(op.node.outputs)} are not the {n} it computes")
        reasons.append(f"{e.name}: {found.reason}")
    return NotApplicable("; ".join(reasons) or f"no lowering for {op.op_type}")


def cached(op, key, make):
    """A per-node value made once (packed weights): at the first lowering of the node."""
    cache = op.__dict__.setdefault("_lowering_cache", {})
    if key not in cache:
        cache[key] = make()
    return cache[key]


# ---- helpers for binders -------------------------------------------------------

F32 = np.dtype(np.float32)


def is_f32(spec, ndim=None):
    """A present float32 input (of rank `ndim`) with no empty axis."""
    return (spec is not None and spec[0] is not None and spec[1] == F32 and 0 not in spec[0]
            and (ndim is None or len(spec[0]) == ndim))


def given(specs, i):
    return len(specs) > i and specs[i] is not None


def size(shape):
    return int(np.prod(shape, dtype=np.int64))
