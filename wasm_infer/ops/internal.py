"""The internal domain: ops that graph passes (wasm_infer/passes/) write into
a graph and models never contain. Ops, passes and lowerings take DOMAIN from
here, so the name is spelled once.

Each internal op, what makes it and what it computes (its NumPy reference is
in ops/op_<name>.py, its fast paths in lowering/):
"""

DOMAIN = "ai.wasm_infer"

OPS = {
    "FusedConv": "fuse_conv_activation: Conv followed by Relu/Clip with constant bounds; "
                 "the Conv's attributes plus activation_min/activation_max, clamped as it writes",
    "FusedMatMul": "fuse_matmul_bias: MatMul by a constant 2-D B plus a constant bias, or Gemm "
                   "(transA = 0, constant B); y = clip(a @ b + bias) with an optional clamp "
                   "(activation_min/max) that fuse_conv_activation adds",
    "FusedLayerNorm": "fuse_layer_norm: the layer normalization over the last axis that exporters "
                      "write out as ReduceMean/Sub/Mul/ReduceMean/Add/Sqrt/Div (+ Mul/Add by constant "
                      "scale and bias); attribute epsilon, optional inputs scale and bias [C], and an "
                      "optional clamp (activation_min/max) that fuse_conv_activation adds",
    "FusedGelu": "fuse_gelu: GELU written out as x * 0.5 * (1 + Erf(x / sqrt 2)) or with Tanh "
                 "(approximate = \"none\" / \"tanh\", as ONNX Gelu), one input x",
    "FusedSilu": "fuse_silu: SiLU written out as Mul(x, Sigmoid(x)), one input x; elementwise, "
                 "so NHWC-transparent",
    "NhwcConv": "to_nhwc: a 2-D Conv/FusedConv on channels-last tensors, x [N, H, W, C] -> "
                "y [N, OH, OW, M], with the ONNX weights [M, C/group, KH, KW] and an optional clamp",
    "NhwcConvTranspose": "to_nhwc: a 2-D ConvTranspose whose kernel equals its stride (no pads, dilations "
                         "or output padding, one group) on channels-last tensors, x [N, H, W, C] -> "
                         "y [N, H*sh, W*sw, M], with the ONNX weights [C, M, sh, sw]",
    "NhwcPool": "to_nhwc: a 2-D MaxPool/AveragePool without Indices on channels-last tensors; "
                "attribute kind names the original op, the others are its attributes",
    "NhwcGlobalAveragePool": "to_nhwc: GlobalAveragePool on channels-last tensors, "
                             "[N, H, W, C] -> [N, 1, 1, C]",
    "QS8Conv": "fuse_qdq: DequantizeLinear(x) and DequantizeLinear(int8 weights, zero point 0) -> Conv -> "
               "(Relu/Clip) -> QuantizeLinear as one int8 conv, NCHW: x uint8/int8, w int8, int32 bias, "
               "float32 per-channel requantization scale; attributes x/y_zero_point, output_min/max, "
               "output_signed (op_qs8_conv.py); fuse_qlinear makes it of a QLinearConv too",
    "NhwcQS8Conv": "to_nhwc: QS8Conv on channels-last tensors, x [N, H, W, C] -> y [N, OH, OW, M]",
    "QS8Add": "fuse_qdq: DequantizeLinear(a) + DequantizeLinear(b) -> QuantizeLinear on the quantized "
              "values (onnxruntime's QLinearAdd); attributes a_ratio/b_ratio, zero points, output_min/max, "
              "output_signed; elementwise, so NHWC-transparent; fuse_qlinear makes it of a com.microsoft QLinearAdd",
    "DynamicQuantMatMul": "fuse_dynamic_quant_matmul: MatMulInteger(a, constant 8-bit b) -> Cast(float) -> "
                          "Mul(a_scale * constant b_scale) -> (Add constant bias), what quantize_dynamic writes "
                          "for a MatMul; inputs a, b, a_scale, b_scale, a_zero_point, b_zero_point, bias "
                          "(op_dynamic_quant_mat_mul.py)",
    "ReplaceNaN": "fuse_nan_guard: Where(IsNaN(x), value, x) with a constant one-element value, the guard torch "
                  "exports after an attention Softmax; inputs x, value (op_replace_nan.py)",
}
