/* f32_igemm_4x8_minmax__wasmsimd: indirect GEMM for K x K convolutions in NHWC.
 *
 * C[i][0:n] = clamp(bias + sum_{s < ks} A_is[0:kc] @ W_s), where A_is is the
 * row of kc input channels that indirection[i * ks + s] points to (plus
 * a_offset bytes), or kc zeros where the entry is 0 (padding). W is packed as
 * in kernels_gemm.h with KK = ks * kc rows, tap-major
 * (wasm_infer.kernels.pack_conv2d_nhwc). One output pixel per row i;
 * ks = KH * KW taps; kc = input channels of the group; a_offset selects the
 * group's channels. wasm_infer.kernels.bind_conv2d_nhwc builds the
 * indirection buffer once per bound input, so every pointer is checked there.
 *
 * How: the output pixels are done in chunks of mb rows. For each chunk the
 * rows' taps are gathered into `scratch` (mb rows of KK floats, contiguous:
 * a small im2col that stays in L2), then the 4 x 8 tiles of
 * f32_gemm_4x8_minmax__wasmsimd run over it, panels outer. Measured (Node 20,
 * SIMD128, through Pyodide; GFLOPS, direct indirect GEMM -> gathered):
 * 3x3 56x56x64->64 25.8 -> 40.2, 28x28x128->128 25.5 -> 39.6, 14x14x256->256
 * 24.2 -> 37.1, 7x7x512->512 16-22 -> 32-34, 3x3 s2 56x56x64->128 25.9 ->
 * 42.2, 7x7 s2 224x224x3->64 16.9 -> 32.0. The direct version re-pointed the
 * 4 A rows at every tap: short jumps the prefetcher does not follow, the
 * input rows of a row of output pixels not fitting L1 next to the panel;
 * the gathered rows are read sequentially and the copy costs 1 / (2 n) of
 * the multiply-adds. In isolation the chunk size barely matters between
 * 18 KB and 1 MB of scratch; in a model, where the weights come from memory
 * and every chunk streams them all, big chunks win (Python picks ~1 MB).
 *
 * Reads exactly the kc floats at each nonzero (pointer + a_offset), the
 * indirection entries of the m rows, the packed weights and params; writes
 * exactly C[i][j] (i < m, j < n) and scratch[0 .. min(m, mb) * ks * kc).
 * mb == 0 does nothing.
 */
#include "kernels_gemm.h"

WI_EXPORT void f32_igemm_4x8_minmax__wasmsimd(
    size_t m, size_t n, size_t kc, size_t ks,
    const float* const* indirection, size_t a_offset,
    const float* packed_w,
    float* c, size_t c_stride,
    float* scratch, size_t mb,
    const float* params) {
  const v128_t vmin = wasm_v128_load32_splat(params);
  const v128_t vmax = wasm_v128_load32_splat(params + 1);
  const size_t MR = WI_GEMM_MR, NV = WI_GEMM_NV, NR = WI_GEMM_NR;
  const size_t kk = ks * kc, panel = (kk + 1) * NR;
  if (mb == 0) return;
  for (size_t i0 = 0; i0 < m; i0 += mb) {
    const size_t rows = wi_min_size(m - i0, mb);
    const float* const* ind = indirection + i0 * ks;
    float* d = scratch;
    for (size_t r = 0; r < rows * ks; r++, d += kc) {
      const float* p = ind[r];
      if (p == 0) wi_zero(d, kc);
      else wi_copy(d, (const float*)((const char*)p + a_offset), kc);
    }
    for (size_t j = 0; j < n; j += NR) {
      const size_t nc = wi_min_size(n - j, NR);
      const float* w = packed_w + (j / NR) * panel;
      for (size_t i = 0; i < rows; i += MR)
        wi_gemm_tile(MR, NV, wi_min_size(rows - i, MR), nc, kk, scratch + i * kk, kk, w,
                     c + (i0 + i) * c_stride + j, c_stride, vmin, vmax);
    }
  }
}
