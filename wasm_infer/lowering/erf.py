"""Erf and GELU on the vector kernels (float32): Erf itself, and the FusedGelu
that the fuse_gelu pass makes of the written-out Erf and tanh forms
(f32_verf, f32_vgelu, f32_vgelutanh; their kernel headers say how accurate)."""
from ..ops.internal import DOMAIN
from . import F32, Lowered, is_f32, lowering, NotApplicable


def _unary(k, kind, specs):
    x = specs[0]
    if not is_f32(x):
        return NotApplicable("needs a float32 input")
    return Lowered([(tuple(x[0]), F32)], lambda ins, outs: k.bind_unary(kind, ins[0], outs[0]), k.UNARY_OPS[kind])


@lowering("Erf")
def erf(op, specs, k):
    return _unary(k, "erf", specs)


@lowering("FusedGelu", domain=DOMAIN)
def fused_gelu(op, specs, k):
    return _unary(k, "gelu_tanh" if op.tanh else "gelu", specs)
