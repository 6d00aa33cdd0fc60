/* qu8s8_gemm_4x8c2__wasmsimd: uint8 activations times constant 8-bit
 * weights, int32 accumulation, float32 output with the dequantization and
 * the bias in the epilogue (what onnxruntime's quantize_dynamic writes as
 * MatMulInteger -> Cast -> Mul(a_scale * b_scale) -> Add(bias); the pass
 * passes/fuse_dynamic_quant_matmul.py makes it one DynamicQuantMatMul):
 *
 *   acc[i][j] = sum_k (A[i][k] - a_zero) * (B[k][j] - b_zero[j])      exact, int32 (wraps)
 *   C[i][j]   = float32(acc[i][j]) * (a_scale * b_scale[j]) + bias[j]  float32, in that order
 *
 * How: both zero points leave the inner loop. B - b_zero is packed once as
 * int16 ([-255, 255] for int8 or uint8 B); the rows of A are centred into
 * `scratch` as int16 (A - a_zero: a_zero is known only at run time, from
 * DynamicQuantizeLinear), mb rows at a time, k rounded up to 8 with zeros,
 * interleaved by groups of 4 rows (pair by pair: qu8_gemm.h) so that a tile
 * reads its rows through one pointer. Then, panel by panel (8 columns of
 * weights stay in L1 while the centred rows stream from L2), 4 x 8 tiles:
 * per pair of k, one 32-bit splat of each row's two int16 values and
 * i32x4.dot_i16x8_s against a packed vector of 4 columns x 2 k (exact: two
 * products of at most 255 * 255 per lane), the scheme of qs8_igemm_4x8c2:
 * 8 accumulators, 2 weight vectors and a splat stay in registers (loading
 * more weight vectors ahead spills on x64), one pair of k an iteration with
 * every load at a constant offset of one of two pointers (qu8_gemm.h: how
 * clang is kept from undoing that). The last 1-3 rows of a chunk get a tile
 * of their own height (a 1-row product costs a quarter of a 4-row one, not
 * the same). About 42 GMAC/s in Node on the x64 it was measured on
 * (tools/bench_qu8_gemm.mjs), 11.5 multiply-adds a cycle; two ALU
 * operations, dot and add, per 8 multiply-adds is the limit of this
 * instruction mix.
 *
 * Packed weights (wasm_infer.kernels.pack_qu8_gemm), per panel of 8 columns:
 * 8 float32 b_scale, 8 float32 bias (-0.0 without a bias: x + -0.0 == x for
 * every x), then kk8 / 2 rows of 16 int16 (columns 0-3 then 4-7, each
 * column's two k adjacent), kk8 = k rounded up to 8; rows past k and columns
 * past n are zero. A panel is 64 + 16 * kk8 bytes.
 *
 * Reads exactly A[i][0..k) (i < m; a_stride bytes per row), the packed
 * panels, *a_scale and *a_zero; writes exactly C[i][j] (i < m, j < n;
 * c_stride floats per row) and scratch[0 .. min(m, mb) * kk8). k == 0 gives
 * the bias; mb == 0 does nothing.
 */
#include "qu8_gemm.h"

WI_EXPORT void qu8s8_gemm_4x8c2__wasmsimd(
    size_t m, size_t n, size_t k,
    const uint8_t* a, size_t a_stride,
    const float* a_scale, const uint8_t* a_zero,
    const int16_t* packed_w,
    float* c, size_t c_stride,
    int16_t* scratch, size_t mb) {
  wi_qu8_gemm(m, n, k, a, a_stride, a_scale, a_zero, packed_w, c, c_stride, scratch, mb, 1);
}
