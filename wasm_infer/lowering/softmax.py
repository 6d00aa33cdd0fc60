"""Softmax and LogSoftmax on the vector kernels: over the last axis (opset
13+), or over the 2-D coercion of opsets 1-11 ([prod(shape[:axis]),
prod(shape[axis:])]), which is a softmax over the trailing block of a
row-major tensor; over any other axis (opset 13+) on the strided kernels,
without transposes."""
from . import F32, Lowered, NotApplicable, is_f32, lowering, size


def _binder(kind, log):
    def binder(op, specs, k):
        x = specs[0]
        if not is_f32(x) or not x[0]:
            return NotApplicable("needs a float32 input of rank >= 1")
        shape, rank = tuple(x[0]), len(x[0])
        axis = op.axis + rank if op.axis < 0 else op.axis
        if not 0 <= axis < rank:
            return NotApplicable(f"axis {op.axis} out of range for rank {rank}")
        if op.coerce_2d:
            view, name = (size(shape[:axis]), size(shape[axis:])), f"f32_{kind}__wasmsimd"
        elif axis == rank - 1:
            view, name = (size(shape[:-1]), shape[-1]), f"f32_{kind}__wasmsimd"
        else:   # the strided kernel, on [outer, n, inner]
            view, name = (size(shape[:axis]), shape[axis], size(shape[axis + 1:])), f"f32_{kind}_strided__wasmsimd"

        def bind(ins, outs):
            return k.bind_softmax(ins[0].reshape(view), outs[0].reshape(view), axis=1, log=log)
        return Lowered([(shape, F32)], bind, name)
    binder.__name__ = kind
    return binder


lowering("Softmax")(_binder("softmax", False))
lowering("LogSoftmax")(_binder("logsoftmax", True))
