"""Softmax on the vector kernel: over the last axis (opset 13+), or over the
2-D coercion of opsets 1-11 ([prod(shape[:axis]), prod(shape[axis:])]),
which is a softmax over the trailing block of a row-major tensor."""
import numpy as np

from . import F32, Lowered, NotApplicable, is_f32, lowering, size


@lowering("Softmax")
def softmax(op, specs, k):
    x = specs[0]
    if not is_f32(x) or not x[0]:
        return NotApplicable("needs a float32 input of rank >= 1")
    shape, rank = tuple(x[0]), len(x[0])
    axis = op.axis + rank if op.axis < 0 else op.axis
    if not 0 <= axis < rank:
        return NotApplicable(f"axis {op.axis} out of range for rank {rank}")
    if op.coerce_2d:
        rows, cols = size(shape[:axis]), size(shape[axis:])
    elif axis == rank - 1:
        rows, cols = size(shape[:-1]), shape[-1]
    else:
        return NotApplicable(f"softmax over axis {op.axis}, not the last")

    def bind(ins, outs):
        return k.bind_softmax(ins[0].reshape(rows, cols), outs[0].reshape(rows, cols))
    return Lowered([(shape, F32)], bind, "f32_softmax__wasmsimd")
