"""Transpose of float32 / int32 / uint32 on the x32_transpose kernel and of
uint8 / int8 / bool on x8_transpose (bits copied, so exactly NumPy's result)
when the permutation folds into at most 4 axes (any perm of rank <= 4;
kernels.folded_transpose). Other dtypes and permutations fall back to
numpy_out's copy. In all-MiniLM the 24 attention Transposes ([B, S, H, D] <->
[B, H, S, D] and K^T) cost 1.4 ms as NumPy copies (strided loops of 32
elements); in int8 EfficientNet-Lite0 the quantized image's uint8 NCHW ->
NHWC Transpose cost 0.4-0.6 ms as a NumPy copy."""
from . import Lowered, NotApplicable, lowering


@lowering("Transpose", name="transpose")
def transpose(op, specs, k):
    x = specs[0]
    if x is None or x[0] is None or x[1] not in k.TRANSPOSE_KERNELS or 0 in x[0]:
        return NotApplicable("needs a non-empty float32, int32, uint32, uint8, int8 or bool tensor of known shape")
    shape = tuple(x[0])
    perm = op.attr("perm") or list(range(len(shape)))[::-1]
    if sorted(perm) != list(range(len(shape))):
        return NotApplicable(f"perm {perm} does not fit rank {len(shape)}")
    if k.folded_transpose(shape, perm) is None:
        return NotApplicable(f"perm {list(perm)} of {list(shape)} does not fold into 4 axes")
    return Lowered([(tuple(shape[p] for p in perm), x[1])],
                   lambda ins, outs: k.bind_transpose(ins[0], outs[0], perm), k.TRANSPOSE_KERNELS[x[1]])
