"""Dynamic quantization family (onnxruntime's quantize_dynamic):
DynamicQuantizeLinear of float32 on the qu8 vquantize_dynamic kernel, and
DynamicQuantMatMul (what passes/fuse_dynamic_quant_matmul.py makes of
MatMulInteger -> Cast -> Mul -> Add) on the uint8 x 8-bit GEMM, its
weights, zero points, scales and bias packed once per node
(kernels/dynamic_quant.py); the same GEMM for onnxruntime's com.microsoft
MatMulIntegerToFloat and DynamicQuantizeMatMul, and with int32 output for
a plain MatMulInteger by constant weights. All byte-exact with their NumPy
ops."""
import numpy as np

from ..ops.internal import DOMAIN
from . import Lowered, NotApplicable, cached, given, is_f32, lowering, size

_U8, _F32 = np.dtype(np.uint8), np.dtype(np.float32)
_BYTES = (np.dtype(np.uint8), np.dtype(np.int8))


@lowering("DynamicQuantizeLinear", name="qu8 vquantize_dynamic")
def dynamic_quantize_linear(op, specs, k):
    x = specs[0]
    if not is_f32(x):
        return NotApplicable("needs a non-empty float32 input")
    return Lowered([(tuple(x[0]), _U8), ((), _F32), ((), _U8)],
                   lambda ins, outs: k.bind_qu8_quantize_dynamic(ins[0], outs[0], outs[1], outs[2]),
                   "qu8_vquantize_dynamic__wasmsimd")


def _one(spec, dtype):
    return spec is not None and spec[0] is not None and spec[1] == dtype and size(spec[0]) == 1


def _weights(op, specs, k, a_shape, b_index, scale_index, zero_index, bias_index):
    """(packed weights, K, N) of a constant int8/uint8 B [K, N] with its constant scale, zero point and
    bias, or NotApplicable."""
    b = op.constant(b_index)
    if not isinstance(b, np.ndarray) or b.dtype not in _BYTES or b.ndim != 2 or b.shape[1] == 0 or \
            b.shape[0] != a_shape[-1]:
        return NotApplicable("needs constant int8/uint8 weights [K, N] with K = a's last axis")
    n = b.shape[1]
    consts = []
    for i, dtype, sizes in ((scale_index, _F32, (1, n)), (zero_index, b.dtype, (1, n)), (bias_index, _F32, (n,))):
        present = i is not None and given(specs, i)
        c = op.constant(i) if present else None
        if present and (not isinstance(c, np.ndarray) or c.dtype != dtype or c.ndim > 1 or c.size not in sizes):
            return NotApplicable("needs a constant float32 b_scale (one or N), b_zero_point (b's type, one or N) "
                                 "and float32 bias [N]")
        consts.append(c)
    b_scale, b_zero, bias = consts
    if b_scale is None:
        if scale_index is not None:
            return NotApplicable("needs b_scale")
        b_scale = np.ones((), _F32)          # MatMulInteger: the int32 kernel reads no scale
    return cached(op, "qu8_gemm_packed", lambda: k.pack_qu8_gemm(b, b_zero, b_scale, bias)), b.shape[0], n


@lowering("DynamicQuantMatMul", domain=DOMAIN, name="qu8 gemm")
@lowering("MatMulIntegerToFloat", domain="com.microsoft", name="qu8 gemm")
def dynamic_quant_mat_mul(op, specs, k):
    """The internal op, and onnxruntime's MatMulIntegerToFloat (same inputs, same
    arithmetic: ops/op_matmul_integer_to_float.py) when A is uint8."""
    a = specs[0]
    if a is None or a[0] is None or a[1] != _U8 or len(a[0]) < 1:
        return NotApplicable("needs a uint8 a of rank >= 1")
    if not _one(specs[2], _F32) or (given(specs, 4) and not _one(specs[4], _U8)):
        return NotApplicable("needs a float32 a_scale and a uint8 a_zero_point of one value each")
    w = _weights(op, specs, k, a[0], 1, 3, 5, 6)
    if not w:
        return w
    packed, kk, n = w
    zero = cached(op, "qu8_gemm_zero", lambda: np.zeros((), _U8))      # a_zero_point absent
    out = tuple(a[0][:-1]) + (n,)
    return Lowered([(out, _F32)], lambda ins, outs: k.bind_qu8_gemm(
        ins[0], ins[2], ins[4] if given(specs, 4) else zero, packed, outs[0], kk, n),
        "qu8s8_gemm_4x8c2__wasmsimd")


@lowering("DynamicQuantizeMatMul", domain="com.microsoft", name="qu8 vquantize_dynamic + gemm")
def dynamic_quantize_mat_mul(op, specs, k):
    """onnxruntime's DynamicQuantizeMatMul: float32 A quantized as DynamicQuantizeLinear into buffers of
    this node, then the GEMM (ops/op_dynamic_quantize_mat_mul.py; its scale for an all-zero A is 1, the
    kernel's 1/255: A and the product are 0 either way)."""
    a = specs[0]
    if not is_f32(a) or len(a[0]) < 1:
        return NotApplicable("needs a non-empty float32 A of rank >= 1")
    w = _weights(op, specs, k, a[0], 1, 2, 3, 4)
    if not w:
        return w
    packed, kk, n = w

    def bind(ins, outs):
        q, scale, zero = np.empty(ins[0].shape, _U8), np.empty((), _F32), np.empty((), _U8)
        quantize = k.bind_qu8_quantize_dynamic(ins[0], q, scale, zero)
        gemm = k.bind_qu8_gemm(q, scale, zero, packed, outs[0], kk, n)

        def run():
            quantize()
            gemm()
        run.keep = (quantize, gemm)
        return run
    return Lowered([(tuple(a[0][:-1]) + (n,), _F32)], bind,
                   "qu8_vquantize_dynamic__wasmsimd + qu8s8_gemm_4x8c2__wasmsimd")


@lowering("MatMulInteger", name="qu8 gemm int32")
def matmul_integer(op, specs, k):
    """uint8 A (zero point absent or one value) by constant int8/uint8 B [K, N] (zero point one value or per
    column): the GEMM's int32 accumulators (ops/op_matmul_integer.py)."""
    a = specs[0]
    if a is None or a[0] is None or a[1] != _U8 or len(a[0]) < 1:
        return NotApplicable("needs a uint8 a of rank >= 1")
    if given(specs, 2) and not _one(specs[2], _U8):
        return NotApplicable("needs a uint8 a_zero_point of one value (not per row)")
    w = _weights(op, specs, k, a[0], 1, None, 3, None)
    if not w:
        return w
    packed, kk, n = w
    zero = cached(op, "qu8_gemm_zero", lambda: np.zeros((), _U8))      # a_zero_point absent
    return Lowered([(tuple(a[0][:-1]) + (n,), np.dtype(np.int32))], lambda ins, outs: k.bind_qu8_gemm(
        ins[0], None, ins[2] if given(specs, 2) else zero, packed, outs[0], kk, n),
        "qu8s8_gemm_4x8c2_i32__wasmsimd")
