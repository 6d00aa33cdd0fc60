/* f32_igemm_4x8_minmax__wasmsimd: indirect GEMM for K x K convolutions in NHWC.
 *
 * C[i][0:n] = clamp(bias + sum_{s < ks} A_is[0:kc] @ W_s), where A_is is the
 * row of kc input channels that indirection[i * ks + s] points to (plus
 * a_offset bytes, unless it points at `zero`, a buffer of kc zeros standing
 * for padding). W is packed as in kernels_gemm.h with KK = ks * kc rows,
 * tap-major (wasm_infer.kernels.pack_conv2d_nhwc). One output pixel per row
 * i; ks = KH * KW taps; kc = input channels of the group; a_offset selects
 * the group's (or image's) channels. No im2col buffer: the same 4 x 8 tile as
 * f32_gemm_4x8_minmax__wasmsimd, with the A rows re-pointed per tap.
 * wasm_infer.kernels.bind_conv2d_nhwc builds the indirection buffer once per
 * bound input, so every pointer is checked there.
 * Reads exactly the kc floats at each (pointer + a_offset) or zero, the packed
 * weights and params; writes exactly C[i][j] (i < m, j < n).
 */
#include "kernels_gemm.h"

WI_EXPORT void f32_igemm_4x8_minmax__wasmsimd(
    size_t m, size_t n, size_t kc, size_t ks,
    const float* const* indirection, const float* zero, size_t a_offset,
    const float* packed_w,
    float* c, size_t c_stride,
    const float* params) {
  const v128_t vmin = wasm_v128_load32_splat(params);
  const v128_t vmax = wasm_v128_load32_splat(params + 1);
  const size_t MR = WI_GEMM_MR, NV = WI_GEMM_NV, NR = WI_GEMM_NR;
  const size_t panel = (ks * kc + 1) * NR;
  for (size_t j = 0; j < n; j += NR) {
    const size_t nc = wi_min_size(n - j, NR);
    const float* w0 = packed_w + (j / NR) * panel;
    for (size_t i = 0; i < m; i += MR) {
      const size_t mr = wi_min_size(m - i, MR);
      const float* const* ind[8];
      float* cp[8];
      for (size_t r = 0; r < MR; r++) {
        const size_t rr = i + (r < mr ? r : mr - 1);
        ind[r] = indirection + rr * ks;
        cp[r] = c + rr * c_stride + j;
      }
      v128_t acc[8][4];
      for (size_t v = 0; v < NV; v++) {
        const v128_t b = wasm_v128_load(w0 + 4 * v);
        for (size_t r = 0; r < MR; r++) acc[r][v] = b;
      }
      const float* w = w0 + NR;
      for (size_t s = 0; s < ks; s++) {
        const float* ap[8];
        for (size_t r = 0; r < MR; r++) {
          const float* p = ind[r][s];
          ap[r] = p == zero ? zero : (const float*)((const char*)p + a_offset);
        }
        w = wi_gemm_kloop(MR, NV, acc, ap, kc, w);
      }
      wi_gemm_store(MR, NV, acc, cp, nc, vmin, vmax);
    }
  }
}
