/* f32_conv2d_nhwc_3x3s1_minmax__wasmsimd_winograd2x2: 3x3 stride-1 convolution
 * (group 1, dilation 1) in NHWC by Winograd F(2x2, 3x3) and the 4 x 8 GEMM tile.
 *
 * y [N, OH, OW, M] = clamp(conv(x [N, H, W, C], w) + bias), zero padding
 * pad_top / pad_left (the bottom / right pads are implied by OH / OW).
 * The output is cut into 2 x 2 tiles; each tile needs a 4 x 4 input window
 * d, transformed to V = B^T d B (16 values per channel, additions only);
 * then for each of the 16 positions t, Mo_t [tiles x M] = V_t [tiles x C] @
 * U_t [C x M] (U = G w G^T, precomputed and packed per t by
 * wasm_infer.kernels.pack_conv2d_nhwc_winograd: 16 GEMM weight blocks as
 * kernels_gemm.h packs them, with zero bias, then the bias padded to
 * round_up(M, 4)); the tile's output is A^T Mo A (additions only) + bias,
 * clamped. 16 * C * M multiply-adds per 4 output pixels instead of 36: 2.25x
 * fewer. Tiles are done in chunks of `tiles` (scratch holds V and Mo of one
 * chunk: 16 * tiles * (C + M) floats) so they stay in L2.
 *
 * Rounding differs from the direct sum (errors of the same size in tests:
 * <= 2e-7 * sqrt(9 C) against float64). A NaN or inf in x reaches the
 * outputs the direct convolution's sums reach and may also reach the other
 * outputs of the 2 x 2 tiles whose 4 x 4 windows hold it (the transforms mix
 * a window; inf - inf is NaN): no further.
 *
 * shape: int32 [N, H, W, C, M, OH, OW, pad_top, pad_left]; C and M multiples
 * of 4 (the bind checks). Reads only x inside [N, H, W, C], the packed
 * weights (16 * ceil(M / 8) * (C + 1) * 8 + round_up(M, 4) floats), shape and
 * params; writes exactly y and scratch[0 .. 16 * min(tiles, total) * (C + M)).
 */
#include "kernels_gemm.h"

/* B^T d B for one vector of 4 channels; d[i][j] from row i, column j. */
WI_INLINE void wg_input(v128_t d[4][4], v128_t v[16]) {
  v128_t t[4][4];
  for (int j = 0; j < 4; j++) {
    t[0][j] = wasm_f32x4_sub(d[0][j], d[2][j]);
    t[1][j] = wasm_f32x4_add(d[1][j], d[2][j]);
    t[2][j] = wasm_f32x4_sub(d[2][j], d[1][j]);
    t[3][j] = wasm_f32x4_sub(d[1][j], d[3][j]);
  }
  for (int i = 0; i < 4; i++) {
    v[4 * i + 0] = wasm_f32x4_sub(t[i][0], t[i][2]);
    v[4 * i + 1] = wasm_f32x4_add(t[i][1], t[i][2]);
    v[4 * i + 2] = wasm_f32x4_sub(t[i][2], t[i][1]);
    v[4 * i + 3] = wasm_f32x4_sub(t[i][1], t[i][3]);
  }
}

WI_EXPORT void f32_conv2d_nhwc_3x3s1_minmax__wasmsimd_winograd2x2(
    const float* x, const float* packed, float* y, const int32_t* shape,
    float* scratch, size_t tiles, const float* params) {
  const size_t n = (size_t)shape[0], c = (size_t)shape[3], m = (size_t)shape[4];
  const int32_t h = shape[1], w = shape[2], oh_n = shape[5], ow_n = shape[6];
  const int32_t pt = shape[7], pl = shape[8];
  const v128_t vmin = wasm_v128_load32_splat(params), vmax = wasm_v128_load32_splat(params + 1);
  const v128_t vinf = wasm_f32x4_const_splat(__builtin_inff()), vninf = wasm_f32x4_neg(vinf);
  const size_t NR = WI_GEMM_NR, panels = (m + NR - 1) / NR, ublock = panels * (c + 1) * NR;
  const float* bias = packed + 16 * ublock;
  const size_t th = (size_t)(oh_n + 1) / 2, tw = (size_t)(ow_n + 1) / 2, total = n * th * tw;
  if (tiles == 0) return;
  for (size_t t0 = 0; t0 < total; t0 += tiles) {
    const size_t nt = wi_min_size(total - t0, tiles);
    float* v = scratch;                     /* [16][nt][c] */
    float* mo = scratch + 16 * nt * c;      /* [16][nt][m] */
    /* input transform */
    for (size_t k = 0; k < nt; k++) {
      const size_t tile = t0 + k, b = tile / (th * tw), r = tile % (th * tw);
      const int32_t ih0 = 2 * (int32_t)(r / tw) - pt, iw0 = 2 * (int32_t)(r % tw) - pl;
      const float* px[4][4];
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
          const int32_t ih = ih0 + i, iw = iw0 + j;
          px[i][j] = (ih >= 0 && ih < h && iw >= 0 && iw < w)
                         ? x + ((b * (size_t)h + (size_t)ih) * (size_t)w + (size_t)iw) * c : 0;
        }
      for (size_t ch = 0; ch < c; ch += 4) {
        v128_t d[4][4], vv[16];
        for (int i = 0; i < 4; i++)
          for (int j = 0; j < 4; j++)
            d[i][j] = px[i][j] ? wasm_v128_load(px[i][j] + ch) : wasm_f32x4_const_splat(0.0f);
        wg_input(d, vv);
        for (int q = 0; q < 16; q++) wasm_v128_store(v + ((size_t)q * nt + k) * c + ch, vv[q]);
      }
    }
    /* 16 GEMMs: mo_q = v_q @ U_q */
    for (size_t q = 0; q < 16; q++) {
      const float* vq = v + q * nt * c;
      float* mq = mo + q * nt * m;
      for (size_t j = 0; j < m; j += NR) {
        const float* panel = packed + q * ublock + (j / NR) * (c + 1) * NR;
        const size_t nc = wi_min_size(m - j, NR);
        for (size_t i = 0; i < nt; i += WI_GEMM_MR)
          wi_gemm_tile(WI_GEMM_MR, WI_GEMM_NV, wi_min_size(nt - i, WI_GEMM_MR), nc, c, vq + i * c, c, panel,
                       mq + i * m + j, m, vninf, vinf);
      }
    }
    /* output transform: A^T mo A + bias, clamp */
    for (size_t k = 0; k < nt; k++) {
      const size_t tile = t0 + k, b = tile / (th * tw), r = tile % (th * tw);
      const size_t oh = 2 * (r / tw), ow = 2 * (r % tw);
      const int down = oh + 1 < (size_t)oh_n, right = ow + 1 < (size_t)ow_n;
      float* y00 = y + ((b * (size_t)oh_n + oh) * (size_t)ow_n + ow) * m;
      float* y10 = y00 + (size_t)ow_n * m;
      for (size_t ch = 0; ch < m; ch += 4) {
        v128_t s0[4], s1[4];
        for (int j = 0; j < 4; j++) {
          const v128_t m0 = wasm_v128_load(mo + ((size_t)(0 + j) * nt + k) * m + ch);
          const v128_t m1 = wasm_v128_load(mo + ((size_t)(4 + j) * nt + k) * m + ch);
          const v128_t m2 = wasm_v128_load(mo + ((size_t)(8 + j) * nt + k) * m + ch);
          const v128_t m3 = wasm_v128_load(mo + ((size_t)(12 + j) * nt + k) * m + ch);
          s0[j] = wasm_f32x4_add(wasm_f32x4_add(m0, m1), m2);
          s1[j] = wasm_f32x4_sub(wasm_f32x4_sub(m1, m2), m3);
        }
        const v128_t bv = wasm_v128_load(bias + ch);
        const v128_t o00 = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(s0[0], s0[1]), s0[2]), bv);
        const v128_t o01 = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_sub(s0[1], s0[2]), s0[3]), bv);
        const v128_t o10 = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(s1[0], s1[1]), s1[2]), bv);
        const v128_t o11 = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_sub(s1[1], s1[2]), s1[3]), bv);
        wasm_v128_store(y00 + ch, wi_clamp(o00, vmin, vmax));
        if (right) wasm_v128_store(y00 + m + ch, wi_clamp(o01, vmin, vmax));
        if (down) {
          wasm_v128_store(y10 + ch, wi_clamp(o10, vmin, vmax));
          if (right) wasm_v128_store(y10 + m + ch, wi_clamp(o11, vmin, vmax));
        }
      }
    }
  }
}
