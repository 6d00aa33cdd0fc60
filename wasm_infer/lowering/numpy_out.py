"""NumPy binders: ops whose NumPy computation can write into preallocated
memory (ufuncs with out=, copyto), so the memory plan can keep them in its
arena on the NumPy backend and where no kernel applies. They give exactly
the op's NumPy result (Binary ops declare `plan_ufunc` when their ufunc is
exact for floats)."""
import numpy as np

from .. import dtypes
from ..ops._elementwise import Unary
from ..ops.internal import DOMAIN
from . import Lowered, NotApplicable, given, lowering

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _float(spec):
    return spec is not None and spec[0] is not None and spec[1] in _FLOATS


@lowering("Relu", kernel=False)
def relu(op, specs, k):
    x = specs[0]
    if not _float(x):
        return NotApplicable("needs float32/float64")

    def bind(ins, outs):
        x, out, zero = ins[0], outs[0], ins[0].dtype.type(0)
        return lambda: np.maximum(x, zero, out=out)
    return Lowered([(tuple(x[0]), x[1])], bind, "numpy.maximum")


@lowering("Sigmoid", kernel=False)
def sigmoid(op, specs, k):
    x = specs[0]
    if not _float(x):
        return NotApplicable("needs float32/float64")

    def bind(ins, outs):
        x, out, one = ins[0], outs[0], ins[0].dtype.type(1)

        def run():  # 1 / (1 + exp(-x)), in place in out; exp overflow to inf gives 0
            with np.errstate(over="ignore"):
                np.negative(x, out=out)
                np.exp(out, out=out)
                np.add(out, one, out=out)
                np.reciprocal(out, out=out)
        return run
    return Lowered([(tuple(x[0]), x[1])], bind, "numpy sigmoid")


@lowering("FusedSilu", domain=DOMAIN, kernel=False)
def silu(op, specs, k):
    x = specs[0]
    if not _float(x):
        return NotApplicable("needs float32/float64")

    def bind(ins, outs):
        x, out, one = ins[0], outs[0], ins[0].dtype.type(1)
        s = np.empty_like(out)     # out may be x's own buffer (in place): the sigmoid goes aside

        def run():  # x / (1 + exp(-x)) as x * sigmoid(x); exp overflow to inf gives 0
            with np.errstate(over="ignore"):
                np.negative(x, out=s)
                np.exp(s, out=s)
                np.add(s, one, out=s)
                np.reciprocal(s, out=s)
                np.multiply(x, s, out=out)
        return run
    return Lowered([(tuple(x[0]), x[1])], bind, "numpy silu")


@lowering("Clip", kernel=False)
def clip(op, specs, k):
    x = specs[0]
    if op.since < 11 or not _float(x):
        return NotApplicable("needs Clip-11+ on float32/float64")
    for i in (1, 2):
        if given(specs, i) and (op.constant(i) is None or op.constant(i).size != 1):
            return NotApplicable("bounds are not constant scalars")

    def bind(ins, outs):
        x, out = ins[0], outs[0]
        lo, hi = (ins[i].astype(x.dtype).reshape(()) if len(ins) > i and ins[i] is not None else None
                  for i in (1, 2))
        lo, hi = (None if b is not None and np.isnan(b) else b for b in (lo, hi))   # ignored, as in ops.Clip
        if lo is None and hi is None:
            return lambda: np.copyto(out, x)
        if lo is None:
            return lambda: np.minimum(x, hi, out=out)
        if hi is None:
            return lambda: np.maximum(x, lo, out=out)

        def run():
            np.maximum(x, lo, out=out)
            np.minimum(out, hi, out=out)
        return run
    return Lowered([(tuple(x[0]), x[1])], bind, "numpy clip")


@lowering("HardSigmoid", kernel=False)
def hard_sigmoid(op, specs, k):
    x = specs[0]
    if not _float(x):
        return NotApplicable("needs float32/float64")

    def bind(ins, outs):   # clip(alpha * x + beta, 0, 1), as the op computes it, in out
        x, out, t = ins[0], outs[0], ins[0].dtype.type
        alpha, beta, zero, one = t(op.alpha), t(op.beta), t(0), t(1)

        def run():       # maximum then minimum: np.clip's values (NaN kept), at half its call cost
            np.multiply(x, alpha, out=out)
            np.add(out, beta, out=out)
            np.maximum(out, zero, out=out)
            np.minimum(out, one, out=out)
        return run
    return Lowered([(tuple(x[0]), x[1])], bind, "numpy hard sigmoid")


def _binary(op, specs, k):
    if len(specs) != 2 or None in specs or not getattr(op, "plan_ufunc", False):
        return NotApplicable("not a ufunc exact for floats")
    (sa, da), (sb, db) = specs
    if sa is None or sb is None or da != db or da not in _FLOATS:
        return NotApplicable("needs two float32/float64 inputs of one dtype")
    fn = type(op).fn

    def bind(ins, outs):
        a, b, out = ins[0], ins[1], outs[0]
        return lambda: fn(a, b, out=out)
    return Lowered([(np.broadcast_shapes(sa, sb), da)], bind, f"numpy.{fn.__name__}")


for _op in ("Add", "Sub", "Mul", "Div"):
    lowering(_op, kernel=False, name=f"numpy_{_op.lower()}")(_binary)


@lowering("Transpose", kernel=False)
def transpose(op, specs, k):
    x = specs[0]
    if x is None or x[0] is None or x[1] is None or x[1].names is not None or x[1].hasobject:
        return NotApplicable("needs a plain array")
    perm = op.attr("perm") or list(range(len(x[0])))[::-1]
    if sorted(perm) != list(range(len(x[0]))):
        return NotApplicable(f"perm {perm} does not fit rank {len(x[0])}")

    def bind(ins, outs):
        view, out = np.transpose(ins[0], perm), outs[0]
        return lambda: np.copyto(out, view)
    return Lowered([(tuple(x[0][p] for p in perm), x[1])], bind, "numpy.copyto")


@lowering("GlobalAveragePool", kernel=False)
def global_average_pool(op, specs, k):
    x = specs[0]
    if x is None or x[0] is None or x[1] != np.float32 or len(x[0]) < 3:
        return NotApplicable("needs float32 [N, C, ...]")
    n, c = x[0][:2]

    def bind(ins, outs):
        # mean = rows @ (1/n): Pyodide's numpy allocates a 32 KB buffer in add.reduce,
        # matmul with out= allocates nothing. The spatial size is spelled out (no -1:
        # ambiguous for an empty batch).
        spatial = int(np.prod(ins[0].shape[2:], dtype=np.int64))
        rows, flat = ins[0].reshape(n, c, spatial), outs[0].reshape(n, c)
        weights = np.full(spatial, 1.0 / spatial if spatial else np.nan, np.float32)
        return lambda: np.matmul(rows, weights, out=flat)
    return Lowered([((n, c) + (1,) * (len(x[0]) - 2), np.dtype(np.float32))], bind, "numpy.matmul")


@lowering("ReduceMean", kernel=False, name="numpy mean of trailing axes")
def reduce_mean(op, specs, k):
    """The mean over trailing axes as rows @ (1 / n): Pyodide's numpy runs a
    reduction ~10x slower than a matmul writing into out= (add.reduce
    allocates), and a matmul sums in float32 as np.mean does (pairwise vs
    sequential order: the same to float32 rounding)."""
    x = specs[0]
    if x is None or x[0] is None or x[1] != np.float32 or not x[0]:
        return NotApplicable("needs float32 of rank >= 1")
    rank = len(x[0])
    if given(specs, 1):
        axes = op.constant(1)
        if axes is None:
            return NotApplicable("axes are computed at run time")
        axes = [int(a) for a in axes.reshape(-1)]
    else:
        axes = op.axes
    if not axes:
        return NotApplicable("all axes or none (noop_with_empty_axes)")
    axes = sorted(a + rank if a < 0 else a for a in axes)
    if axes != list(range(rank - len(axes), rank)):
        return NotApplicable(f"axes {axes} are not the trailing ones")
    lead, tail = x[0][:rank - len(axes)], x[0][rank - len(axes):]
    cols = int(np.prod(tail, dtype=np.int64))
    if cols == 0:
        return NotApplicable("mean of nothing")
    rows = int(np.prod(lead, dtype=np.int64))
    shape = tuple(lead) + ((1,) * len(axes) if op.keepdims else ())

    def bind(ins, outs):
        a, out = ins[0].reshape(rows, cols), outs[0].reshape(rows)
        weights = np.full(cols, 1.0 / cols, np.float32)
        return lambda: np.matmul(a, weights, out=out)
    return Lowered([(shape, np.dtype(np.float32))], bind, "numpy.matmul mean")


_UFUNC_UNARY = ("Sqrt", "Exp", "Log", "Abs", "Neg", "Tanh", "Reciprocal", "Floor", "Ceil", "Sin", "Cos")


def _unary_ufunc(op, specs, k):
    x = specs[0]
    fn = getattr(type(op), "fn", None)
    if not _float(x) or not isinstance(fn, np.ufunc) or type(op).compute is not Unary.compute:
        return NotApplicable("needs float32/float64 and a plain ufunc")

    def bind(ins, outs):
        x, out = ins[0], outs[0]
        # no np.errstate here: entering it costs more than the ufunc on small
        # arrays in Pyodide (~6 us), and the op's run warns just the same
        return lambda: fn(x, out=out)
    return Lowered([(tuple(x[0]), x[1])], bind, f"numpy.{fn.__name__}")


for _op in _UFUNC_UNARY:
    lowering(_op, kernel=False, name=f"numpy_{_op.lower()}")(_unary_ufunc)


_CASTABLE = tuple(np.dtype(t) for t in (np.float32, np.float64, np.int32, np.int64, np.bool_))


@lowering("Cast", kernel=False)
def cast(op, specs, k):
    """To float32/float64 from a plain numeric type, or to the same type: one
    copyto (C's conversion, as astype). Casts to integers stay with the op (NaN, range)."""
    x = specs[0]
    to = np.dtype(dtypes.to_numpy(op.to, ""))
    if x is None or x[0] is None or x[1] not in _CASTABLE or not (to in _FLOATS or to == x[1]):
        return NotApplicable("needs a cast to float32/float64 (or to the same type) from a plain numeric type")

    def bind(ins, outs):
        x, out = ins[0], outs[0]
        return lambda: np.copyto(out, x, casting="unsafe")
    return Lowered([(tuple(x[0]), to)], bind, "numpy.copyto (cast)")


@lowering("Pow", kernel=False)
def pow_(op, specs, k):
    """A float base to the constant exponent 2: x * x, which is what np.power
    computes for that exponent (its square fast path)."""
    x = specs[0]
    e = op.constant(1)
    if not _float(x) or e is None or e.size != 1 or e.reshape(-1)[0] != 2 or \
            np.broadcast_shapes(tuple(x[0]), e.shape) != tuple(x[0]):
        return NotApplicable("needs a float32/float64 base and the constant exponent 2")

    def bind(ins, outs):
        x, out = ins[0], outs[0]
        return lambda: np.multiply(x, x, out=out)
    return Lowered([(tuple(x[0]), x[1])], bind, "numpy.multiply (square)")
