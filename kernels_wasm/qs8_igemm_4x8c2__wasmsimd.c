/* qs8_igemm_4x8c2__wasmsimd: int8 indirect GEMM for NHWC convolutions
 * (1x1 and K x K; the int8 twin of f32_igemm_4x8_minmax__wasmsimd).
 *
 * C[i][0:n] = requantize(bias + sum_{s < ks} (A_is[0:kc] - x_zero) @ W_s), A_is
 * the kc bytes (uint8 or int8) that indirection[i * ks + s] points to, plus
 * a_offset bytes, or x_zero everywhere where the entry is 0 (padding).
 *
 * How: output pixels in chunks of mb rows; each chunk's taps are gathered
 * into `scratch` as centred int16 (qs8_requant.h), kk2 = round_up(ks * kc, 2)
 * values per row (a zero at the end when ks * kc is odd; consecutive taps
 * whose bytes are adjacent in x centred as one run), then 4 x 8 tiles
 * run over it: per pair of k, one 32-bit splat of the row's two int16 values
 * and i32x4.dot_i16x8_s against a packed vector of 4 columns x 2 k, the
 * splat scheme of the float GEMM with two multiply-adds per lane per
 * instruction and no horizontal sums.
 *
 * Packed weights (wasm_infer.kernels.pack_qs8_conv2d_nhwc), per panel of 8
 * columns: 8 int32 bias, 8 float32 scales, then kk2 / 2 rows of 16 int16
 * (columns 0-3 then 4-7, each column's two k adjacent); columns past n are
 * zero. A panel is 64 + 16 * kk2 bytes.
 *
 * Reads exactly the kc bytes at each nonzero (pointer + a_offset), the m * ks
 * indirection entries, the packed weights and the 8 int32 params; writes
 * exactly C[i][j] (i < m, j < n; c_stride bytes per row) and scratch[0 ..
 * min(m, mb) * kk2). mb == 0 does nothing.
 */
#include "qs8_requant.h"

#define MR 4

WI_EXPORT void qs8_igemm_4x8c2__wasmsimd(
    size_t m, size_t n, size_t kc, size_t ks,
    const uint8_t* const* indirection, size_t a_offset,
    const int16_t* packed_w,
    uint8_t* c, size_t c_stride,
    int16_t* scratch, size_t mb,
    const int32_t* params) {
  const int32_t zx = params[WI_QS8_X_ZERO], xs = params[WI_QS8_X_SIGNED];
  const wi_qs8_rq rq = wi_qs8_rq_make(params);
  const size_t kk = ks * kc, kk2 = (kk + 1) & ~(size_t)1, panel = 32 + 8 * kk2;   /* in int16 */
  if (mb == 0) return;
  for (size_t i0 = 0; i0 < m; i0 += mb) {
    const size_t rows = wi_min_size(m - i0, mb);
    const uint8_t* const* ind = indirection + i0 * ks;
    for (size_t r = 0; r < rows; r++) {
      int16_t* d = scratch + r * kk2;
      const uint8_t* const* pr = ind + r * ks;
      for (size_t s = 0; s < ks;) {
        const uint8_t* p = pr[s];
        if (p == 0) {
          for (size_t q = 0; q < kc; q++) d[q] = 0;
          s++, d += kc;
          continue;
        }
        /* taps whose bytes follow each other (a kernel row at stride 1 in x's
         * pixels, e.g. the stem's 3 taps of kc = 3) are centred as one run:
         * vector steps of 8 instead of a scalar loop of kc per tap */
        size_t run = 1;
        while (s + run < ks && pr[s + run] == p + run * kc) run++;
        wi_qs8_centre(d, p + a_offset, run * kc, zx, xs);
        s += run, d += run * kc;
      }
      if (kk2 != kk) *d = 0;
    }
    for (size_t j = 0; j < n; j += 8) {
      const size_t nc = wi_min_size(n - j, 8);
      const int16_t* pw = packed_w + (j / 8) * panel;
      const float* scale = (const float*)(pw + 16);
      for (size_t i = 0; i < rows; i += MR) {
        const size_t mr = wi_min_size(rows - i, MR);
        const int16_t* ap[MR];
        uint8_t* cp[MR];
        v128_t acc[MR][2];
        for (size_t t = 0; t < MR; t++) {
          const size_t rr = t < mr ? t : mr - 1;    /* rows past m alias the last real one */
          ap[t] = scratch + (i + rr) * kk2;
          cp[t] = c + (i0 + i + rr) * c_stride + j;
          acc[t][0] = wasm_v128_load(pw);
          acc[t][1] = wasm_v128_load(pw + 8);
        }
        const int16_t* w = pw + 32;
        for (size_t p = 0; p < kk2; p += 2, w += 16) {
          const v128_t vb0 = wasm_v128_load(w), vb1 = wasm_v128_load(w + 8);
          for (size_t t = 0; t < MR; t++) {
            const v128_t va = wasm_v128_load32_splat(ap[t] + p);
            acc[t][0] = wasm_i32x4_add(acc[t][0], wasm_i32x4_dot_i16x8(va, vb0));
            acc[t][1] = wasm_i32x4_add(acc[t][1], wasm_i32x4_dot_i16x8(va, vb1));
          }
        }
        wi_qs8_store8x2(cp[0], cp[1], acc[0][0], acc[0][1], acc[1][0], acc[1][1], scale, &rq, nc);
        wi_qs8_store8x2(cp[2], cp[3], acc[2][0], acc[2][1], acc[3][0], acc[3][1], scale, &rq, nc);
      }
    }
  }
}
