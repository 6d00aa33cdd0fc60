"""Layer normalization over the last axis on the normalization kernel:
LayerNormalization (opset 17, axis = last, float32 stash, only Y asked
for) and FusedLayerNorm (the written-out pattern fuse_layer_norm finds,
with its optional clamp). Scale and bias are vectors [C]; either may be
absent in FusedLayerNorm, the bias in LayerNormalization."""
import numpy as np

from ..ops.internal import DOMAIN
from . import F32, Lowered, NotApplicable, given, is_f32, lowering, size


def _vector_or_absent(specs, i, cols, what):
    """None (absent), True (a float32 [cols]) or a NotApplicable."""
    if not given(specs, i):
        return None
    if is_f32(specs[i], 1) and specs[i][0][0] == cols:
        return True
    return NotApplicable(f"{what} must be a float32 vector [{cols}], got {specs[i][0]} {specs[i][1]}")


def _lowered(k, specs, epsilon, lo, hi):
    x = specs[0]
    if not is_f32(x) or not x[0]:
        return NotApplicable("needs a float32 input of rank >= 1")
    shape = tuple(x[0])
    rows, cols = size(shape[:-1]), shape[-1]
    has = []
    for i, what in ((1, "scale"), (2, "bias")):
        v = _vector_or_absent(specs, i, cols, what)
        if isinstance(v, NotApplicable):
            return v
        has.append(v is not None)

    def bind(ins, outs):
        gamma = ins[1] if has[0] else None
        beta = ins[2] if has[1] else None
        return k.bind_layernorm(ins[0].reshape(rows, cols), gamma, beta, outs[0].reshape(rows, cols),
                                epsilon, lo, hi)
    return Lowered([(shape, F32)], bind, "f32_layernorm_minmax__wasmsimd")


@lowering("FusedLayerNorm", DOMAIN)
def fused_layer_norm(op, specs, k):
    return _lowered(k, specs, op.epsilon, op.lo, op.hi)


@lowering("LayerNormalization")
def layer_normalization(op, specs, k):
    x = specs[0]
    if is_f32(x) and x[0]:
        axis = int(op.attr("axis", -1))
        if axis not in (-1, len(x[0]) - 1):
            return NotApplicable(f"normalizes from axis {axis}, not over the last axis only")
    if int(op.attr("stash_type", 1)) != 1:
        return NotApplicable("stash_type is not float32")
    if not given(specs, 1):
        return NotApplicable("no scale")
    return _lowered(k, specs, float(op.attr("epsilon", 1e-5)), -np.inf, np.inf)
