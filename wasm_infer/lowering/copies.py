"""Ops that only move data, written straight into the plan's arena by one
NumPy copy: Resize (nearest, whole-number upscaling: each element repeated
f times along an axis), Concat and Split. They give exactly the op's NumPy
result; what they save is the op's temporaries and the extra copy into the
arena (a nearest Resize through the op is one np.take per axis)."""
import numpy as np

from . import Lowered, NotApplicable, given, lowering, size


def _repeat_factors(op, shape):
    """Per axis, the whole number f with output[i] = input[i // f] that the op's
    own code computes for an input of this shape (probed one axis at a time
    with an index ramp), or a reason why it is not such a repetition."""
    consts = [op.constant(i) for i in range(1, len(op.node.inputs))]
    if any(c is None for c, name in zip(consts, op.node.inputs[1:]) if name):
        return "roi, scales or sizes are computed at run time"
    if len(consts) > 2 and consts[2] is not None and consts[2].size and size(consts[2]) > 1 << 22:
        return "output too large to probe"        # a probe's other axes take their full `sizes`
    factors = []
    for axis, n in enumerate(shape):
        probe = np.arange(n, dtype=np.int64).reshape(tuple(n if a == axis else 1 for a in range(len(shape))))
        index = np.moveaxis(op.run(probe, *consts)[0], axis, 0)
        m = index.shape[0]
        index = index.reshape(m, -1)[:, 0] if index.size else np.zeros(0, np.int64)
        if m % n or (m and not np.array_equal(index, np.arange(m) // (m // n))):
            return f"axis {axis}: {n} -> {m} is not each element repeated a whole number of times"
        factors.append(m // n)
    return factors


@lowering("Resize", kernel=False)
def resize(op, specs, k):
    x = specs[0]
    if op.since < 11 or x is None or x[0] is None or 0 in x[0] or not x[0]:
        return NotApplicable("needs Resize-11+ on a non-empty tensor")
    if op.mode != "nearest" or op.coord_mode == "tf_crop_and_resize":
        return NotApplicable(f"mode {op.mode!r} with {op.coord_mode!r} coordinates is not a repetition")
    if size(x[0]) > 1 << 24:
        return NotApplicable("input too large to probe")
    if op.policy != "stretch":     # the probes below resize one axis at a time; the policy ties them together
        return NotApplicable(f"keep_aspect_ratio_policy {op.policy!r}")
    factors = _repeat_factors(op, tuple(x[0]))
    if isinstance(factors, str):
        return NotApplicable(factors)
    shape = tuple(x[0])
    spread = sum(((d, f) if f > 1 else (d,) for d, f in zip(shape, factors)), ())
    source = sum(((d, 1) if f > 1 else (d,) for d, f in zip(shape, factors)), ())

    def bind(ins, outs):
        dst, src = outs[0].reshape(spread), ins[0].reshape(source)
        return lambda: np.copyto(dst, src)
    return Lowered([(tuple(d * f for d, f in zip(shape, factors)), x[1])], bind, "numpy.copyto (repeat)")


@lowering("Concat", kernel=False)
def concat(op, specs, k):
    if not specs or any(s is None or s[0] is None for s in specs):
        return NotApplicable("an input has no known shape")
    rank, dtype = len(specs[0][0]), specs[0][1]
    if rank == 0 or any(len(s[0]) != rank or s[1] != dtype for s in specs):
        return NotApplicable("inputs differ in rank or dtype")
    axis = int(op.attr("axis", 0))
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank or any(tuple(s[0][:axis]) + tuple(s[0][axis + 1:]) !=
                                   tuple(specs[0][0][:axis]) + tuple(specs[0][0][axis + 1:]) for s in specs):
        return NotApplicable("shapes do not agree off the concatenation axis")
    shape = list(specs[0][0])
    shape[axis] = sum(s[0][axis] for s in specs)

    def bind(ins, outs):
        out, parts, start = outs[0], [], 0
        for a in ins:
            stop = start + a.shape[axis]
            if stop > start:
                parts.append((out[(slice(None),) * axis + (slice(start, stop),)], a))
            start = stop

        def run():
            for dst, src in parts:
                np.copyto(dst, src)
        return run
    return Lowered([(tuple(shape), dtype)], bind, "numpy.copyto (concat)")


@lowering("Split", kernel=False)
def split(op, specs, k):
    x = specs[0]
    if x is None or x[0] is None or not x[0]:
        return NotApplicable("needs a tensor of known shape")
    if given(specs, 1) and op.constant(1) is None:
        return NotApplicable("split sizes are computed at run time")
    try:   # the op's own rule for the parts (equal parts, `split` sizes, num_outputs)
        parts = op.run(np.empty(x[0], np.bool_), *([op.constant(1)] if given(specs, 1) else []))
    except Exception as e:     # noqa: BLE001 - a Split the op itself refuses: the op's run reports it
        return NotApplicable(f"{type(e).__name__}: {e}")
    if len(parts) != len(op.node.outputs):
        return NotApplicable("the number of parts differs from the node's outputs")
    axis = int(op.attr("axis", 0)) % len(x[0])
    sizes = [p.shape[axis] for p in parts]

    def bind(ins, outs):
        copies, start = [], 0
        for out, n in zip(outs, sizes):
            if n:
                copies.append((out, ins[0][(slice(None),) * axis + (slice(start, start + n),)]))
            start += n

        def run():
            for dst, src in copies:
                np.copyto(dst, src)
        return run
    return Lowered([(tuple(p.shape), x[1]) for p in parts], bind, "numpy.copyto (split)")
