/* qu8s8_gemm_4x8c2_i32__wasmsimd: ONNX MatMulInteger of uint8 activations and
 * constant 8-bit weights, int32 output:
 *
 *   C[i][j] = sum_k (A[i][k] - a_zero) * (B[k][j] - b_zero[j])      exact, int32 (wraps)
 *
 * qu8s8_gemm_4x8c2__wasmsimd's GEMM (qu8_gemm.h) without its epilogue: the
 * same packed weights (pack_qu8_gemm; their scales and bias are not read),
 * the same scratch, the same bounds. a_scale is not read (may be 0).
 */
#include "qu8_gemm.h"

WI_EXPORT void qu8s8_gemm_4x8c2_i32__wasmsimd(
    size_t m, size_t n, size_t k,
    const uint8_t* a, size_t a_stride, const uint8_t* a_zero,
    const int16_t* packed_w,
    int32_t* c, size_t c_stride,
    int16_t* scratch, size_t mb) {
  wi_qu8_gemm(m, n, k, a, a_stride, 0, a_zero, packed_w, c, c_stride, scratch, mb, 0);
}
