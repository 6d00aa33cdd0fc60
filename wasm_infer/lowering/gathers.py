"""Ops that pick elements of their first input by rules fixed at plan time
(Pad in every mode, Slice, Gather), written into the plan's arena by one
np.take over a flat index map.

The map is the op's own NumPy result on index ramps: run on 0..n-1 (int64,
the input's shape) and on n..2n-1, an output element that differs by n
between the two came from that input element; one that does not is a fill
(Pad's constant), which must be the same value everywhere. So the lowering
computes exactly what the op computes, for every mode the op implements,
with no copy of the op's rules. At run time: when the map is affine (a
strided window of the input: Slice, a Gather of one index) one copyto from
a strided view; else np.take over the map, from the input or (Pad's fill)
from a scratch vector holding the input and then the fill.

For small values only (MAX_ELEMENTS): the map costs 8 bytes per output
element, and on large tensors a strided copy beats a gather."""
import numpy as np

from . import Lowered, NotApplicable, lowering, size

MAX_ELEMENTS = 1 << 16     # output elements: small values, where a NumPy step's overhead dominates
_NUMERIC = "biuf"


def _index_map(op, shape, dtype, consts):
    """(flat source index per output element, with n for a fill; fill value;
    output shape), or a reason the op is not such a pick."""
    n = size(shape)
    ramp = np.arange(n, dtype=np.int64).reshape(shape)
    a = np.asarray(op.run(ramp, *consts)[0])
    b = np.asarray(op.run(ramp + n, *consts)[0])
    if a.dtype != np.int64 or a.shape != b.shape or a.size > MAX_ELEMENTS:
        return f"output of {a.size} elements (more than {MAX_ELEMENTS}) or not a pick of input elements"
    picked = (b - a) == n
    if not np.all(picked | (a == b)) or np.any(picked & ((a < 0) | (a >= n))):
        return "not a pick of input elements"
    index = np.where(picked, a, n).reshape(-1).astype(np.intp)
    fill = None
    if not picked.all():
        filled = np.asarray(op.run(np.zeros(shape, dtype), *consts)[0]).reshape(-1)[~picked.reshape(-1)]
        if filled.dtype != dtype or not np.all(filled == filled[0]):
            return "fill values differ"
        fill = filled[0]
    return index, fill, a.shape


def _strides(index):
    """(start, element step per axis) when index[i] = start + sum(i_k * step_k), else None."""
    if index.size == 0:
        return None
    start = int(index.reshape(-1)[0])
    steps = [int(np.take(index, 1, axis=a).reshape(-1)[0]) - start if d > 1 else 0
             for a, d in enumerate(index.shape)]
    lo = start + sum(min(0, s * (d - 1)) for s, d in zip(steps, index.shape))
    affine = np.full(index.shape, start, np.int64)
    for a, (s, d) in enumerate(zip(steps, index.shape)):
        affine += (np.arange(d, dtype=np.int64) * s).reshape([d if b == a else 1 for b in range(index.ndim)])
    if lo < 0 or not np.array_equal(affine, index):
        return None
    return start, steps


def _pick(op, specs, what):
    x = specs[0]
    if x is None or x[0] is None or x[1] is None or x[1].kind not in _NUMERIC or not 0 < size(x[0]) <= MAX_ELEMENTS:
        return NotApplicable(f"needs a numeric input of 1 to {MAX_ELEMENTS} elements")
    consts = []
    for i, name in enumerate(op.node.inputs[1:], 1):
        c = op.constant(i) if name else None
        if name and c is None:
            return NotApplicable(f"input {i} is computed at run time")
        consts.append(c)
    shape, dtype = tuple(x[0]), np.dtype(x[1])
    try:
        found = _index_map(op, shape, dtype, consts)
    except Exception as e:     # noqa: BLE001 - what the op refuses, its own run reports
        return NotApplicable(f"{type(e).__name__}: {e}")
    if isinstance(found, str):
        return NotApplicable(found)
    index, fill, out_shape = found
    n = size(shape)
    strided = _strides(index.reshape(out_shape)) if fill is None else None

    def bind(ins, outs):
        src, out = ins[0].reshape(-1), outs[0].reshape(-1)
        if strided is not None:      # a strided window of the input (most Slices, Gathers of one index)
            start, steps = strided
            view = np.lib.stride_tricks.as_strided(src[start:], out_shape, [s * src.itemsize for s in steps])
            dst = outs[0]
            return lambda: np.copyto(dst, view)
        if fill is None:
            return lambda: np.take(src, index, out=out)
        ext = np.empty(n + 1, dtype)       # the input, then the fill: one take covers both
        ext[n] = fill
        head = ext[:n]

        def run():
            np.copyto(head, src)
            np.take(ext, index, out=out)
        return run
    return Lowered([(out_shape, dtype)], bind, f"numpy.take ({what})")


@lowering("Pad", kernel=False)
def pad(op, specs, k):
    return _pick(op, specs, "pad")


@lowering("Slice", kernel=False)
def slice_(op, specs, k):
    return _pick(op, specs, "slice")


@lowering("Gather", kernel=False)
def gather(op, specs, k):
    return _pick(op, specs, "gather")
