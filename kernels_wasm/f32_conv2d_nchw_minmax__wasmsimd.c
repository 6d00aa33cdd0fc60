/* f32_conv2d_nchw_minmax__wasmsimd: grouped 2-D convolution, NCHW.
 *
 * x [N, C, H, W], w [M, C/group, KH, KW] (ONNX Conv), bias [M] or 0,
 * y [N, M, OH, OW]; shape is the int32 array [N, C, H, W, M, KH, KW, OH, OW,
 * group, sh, sw, pad_top, pad_left, dh, dw]; zero padding, bottom/right pads
 * implied by OH/OW.
 *
 * - 1x1, stride 1, no padding: per image and group a GEMM
 *   Y[Mg x HW] = W[Mg x Cg] @ X[Cg x HW] + bias per row (wi_f32_gemm_minmax).
 * - otherwise: tiles of up to 4 output channels x 8 output columns (SIMD
 *   along output width; each tap's weight broadcast and multiplied into the
 *   column vectors) in the interior columns (every tap inside the row), rows
 *   outside the input skipped, border columns one output at a time with bounds
 *   checks. Never reads outside x, w, bias; writes exactly y.
 */
#include "kernels.h"

typedef struct conv_geom {
  int32_t h, w, cg, kh_n, kw_n, sh, sw, pt, pl, dh, dw;
  size_t x_plane, w_oc; /* H*W; Cg*KH*KW */
} conv_geom;

/* OCB output channels x 4*NV adjacent outputs of row oh from interior column ow0.
 * xg: first input plane of the group; wo: weights of the first channel of the
 * block; yo: y[oc0][oh] row start; y_plane = OH*OW. */
WI_INLINE void conv_block(const size_t OCB, const size_t NV, const int32_t SW,
                          const conv_geom* g, const float* xg, const float* wo,
                          const float* bias, float* yo, size_t y_plane,
                          int32_t oh, int32_t ow0, v128_t vmin, v128_t vmax) {
  v128_t acc[4][2];
  for (size_t o = 0; o < OCB; o++) {
    const v128_t vb = bias ? wasm_v128_load32_splat(bias + o) : wasm_f32x4_const_splat(0.0f);
    for (size_t v = 0; v < NV; v++) acc[o][v] = vb;
  }
  const int32_t sw = SW ? SW : g->sw;
  const int32_t ih0 = oh * g->sh - g->pt;
  for (int32_t ic = 0; ic < g->cg; ic++) {
    const float* xc = xg + (size_t)ic * g->x_plane;
    const float* wc = wo + (size_t)ic * g->kh_n * g->kw_n;
    for (int32_t kh = 0; kh < g->kh_n; kh++) {
      const int32_t ih = ih0 + kh * g->dh;
      if ((uint32_t)ih >= (uint32_t)g->h) continue;
      const float* r = xc + (size_t)ih * g->w + (ow0 * sw - g->pl);
      const float* wr = wc + kh * g->kw_n;
      for (int32_t kw = 0; kw < g->kw_n; kw++) {
        v128_t vx[2];
        for (size_t v = 0; v < NV; v++) vx[v] = wi_load_x4(r + kw * g->dw + 4 * v * sw, SW, sw);
        for (size_t o = 0; o < OCB; o++) {
          const v128_t vw = wasm_v128_load32_splat(wr + o * g->w_oc + kw);
          for (size_t v = 0; v < NV; v++) acc[o][v] = wasm_f32x4_add(acc[o][v], wasm_f32x4_mul(vx[v], vw));
        }
      }
    }
  }
  for (size_t o = 0; o < OCB; o++)
    for (size_t v = 0; v < NV; v++)
      wasm_v128_store(yo + o * y_plane + 4 * v, wi_clamp(acc[o][v], vmin, vmax));
}

/* One output (oc, oh, ow) with bounds checks on every tap. */
static float conv_point(const conv_geom* g, const float* xg, const float* wo, float bias,
                        int32_t oh, int32_t ow, float lo, float hi) {
  float acc = bias;
  const int32_t ih0 = oh * g->sh - g->pt, iw0 = ow * g->sw - g->pl;
  for (int32_t ic = 0; ic < g->cg; ic++) {
    const float* xc = xg + (size_t)ic * g->x_plane;
    const float* wc = wo + (size_t)ic * g->kh_n * g->kw_n;
    for (int32_t kh = 0; kh < g->kh_n; kh++) {
      const int32_t ih = ih0 + kh * g->dh;
      if ((uint32_t)ih >= (uint32_t)g->h) continue;
      const float* r = xc + (size_t)ih * g->w;
      for (int32_t kw = 0; kw < g->kw_n; kw++) {
        const int32_t iw = iw0 + kw * g->dw;
        if ((uint32_t)iw < (uint32_t)g->w) acc += r[iw] * wc[kh * g->kw_n + kw];
      }
    }
  }
  return wi_clampf(acc, lo, hi);
}

/* All output rows of a block of OCB channels (SW: 1, 2 or 0 = runtime). */
WI_INLINE void conv_channels(const size_t OCB, const int32_t SW, const conv_geom* g,
                             int32_t oh_n, int32_t ow_n, int32_t ow_lo, int32_t ow_hi,
                             const float* xg, const float* wo, const float* bias, float* yo,
                             const wi_minmax_params* params) {
  const float lo = params->min, hi = params->max;
  const v128_t vmin = wasm_f32x4_splat(lo), vmax = wasm_f32x4_splat(hi);
  const size_t y_plane = (size_t)oh_n * ow_n;
  for (int32_t oh = 0; oh < oh_n; oh++) {
    float* yr = yo + (size_t)oh * ow_n;
    int32_t ow = 0;
    for (; ow < ow_lo; ow++)
      for (size_t o = 0; o < OCB; o++)
        yr[o * y_plane + ow] = conv_point(g, xg, wo + o * g->w_oc, bias ? bias[o] : 0.0f, oh, ow, lo, hi);
    for (; ow + 8 <= ow_hi; ow += 8)
      conv_block(OCB, 2, SW, g, xg, wo, bias, yr + ow, y_plane, oh, ow, vmin, vmax);
    for (; ow + 4 <= ow_hi; ow += 4)
      conv_block(OCB, 1, SW, g, xg, wo, bias, yr + ow, y_plane, oh, ow, vmin, vmax);
    for (; ow < ow_n; ow++)
      for (size_t o = 0; o < OCB; o++)
        yr[o * y_plane + ow] = conv_point(g, xg, wo + o * g->w_oc, bias ? bias[o] : 0.0f, oh, ow, lo, hi);
  }
}

WI_INLINE void conv_channels_sw(const size_t OCB, const conv_geom* g,
                                int32_t oh_n, int32_t ow_n, int32_t ow_lo, int32_t ow_hi,
                                const float* xg, const float* wo, const float* bias, float* yo,
                                const wi_minmax_params* params) {
  if (g->sw == 1) conv_channels(OCB, 1, g, oh_n, ow_n, ow_lo, ow_hi, xg, wo, bias, yo, params);
  else if (g->sw == 2) conv_channels(OCB, 2, g, oh_n, ow_n, ow_lo, ow_hi, xg, wo, bias, yo, params);
  else conv_channels(OCB, 0, g, oh_n, ow_n, ow_lo, ow_hi, xg, wo, bias, yo, params);
}

WI_EXPORT void f32_conv2d_nchw_minmax__wasmsimd(
    const float* x, const float* w, const float* bias, float* y,
    const int32_t* shape, const float* params_) {
  const wi_minmax_params* params = (const wi_minmax_params*)params_;
  const int32_t n_n = shape[WI_CONV_N], c_n = shape[WI_CONV_C];
  const int32_t m_n = shape[WI_CONV_M], groups = shape[WI_CONV_GROUP];
  const int32_t oh_n = shape[WI_CONV_OH], ow_n = shape[WI_CONV_OW];
  const int32_t cg = c_n / groups, mg = m_n / groups;
  const conv_geom g = {
    shape[WI_CONV_H], shape[WI_CONV_W], cg, shape[WI_CONV_KH], shape[WI_CONV_KW],
    shape[WI_CONV_STRIDE_H], shape[WI_CONV_STRIDE_W],
    shape[WI_CONV_PAD_TOP], shape[WI_CONV_PAD_LEFT],
    shape[WI_CONV_DILATION_H], shape[WI_CONV_DILATION_W],
    (size_t)shape[WI_CONV_H] * shape[WI_CONV_W],
    (size_t)cg * shape[WI_CONV_KH] * shape[WI_CONV_KW],
  };
  const size_t y_plane = (size_t)oh_n * ow_n;

  if (g.kh_n == 1 && g.kw_n == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 &&
      oh_n == g.h && ow_n == g.w) {
    for (int32_t b = 0; b < n_n; b++)
      for (int32_t gi = 0; gi < groups; gi++)
        wi_f32_gemm_minmax((size_t)mg, g.x_plane, (size_t)cg,
                           w + (size_t)gi * mg * cg, (size_t)cg,
                           x + ((size_t)b * c_n + (size_t)gi * cg) * g.x_plane, g.x_plane,
                           0, bias ? bias + (size_t)gi * mg : 0,
                           y + ((size_t)b * m_n + (size_t)gi * mg) * y_plane, y_plane, params);
    return;
  }

  int32_t ow_lo, ow_hi;
  wi_conv_interior(ow_n, g.w, g.kw_n, g.sw, g.pl, g.dw, &ow_lo, &ow_hi);
  for (int32_t b = 0; b < n_n; b++) {
    for (int32_t gi = 0; gi < groups; gi++) {
      const float* xg = x + ((size_t)b * c_n + (size_t)gi * cg) * g.x_plane;
      int32_t o = 0;
      for (; o < mg; ) {
        const int32_t oc = gi * mg + o;
        const float* wo = w + (size_t)oc * g.w_oc;
        const float* bo = bias ? bias + oc : 0;
        float* yo = y + ((size_t)b * m_n + oc) * y_plane;
        switch (mg - o) {
          case 1: conv_channels_sw(1, &g, oh_n, ow_n, ow_lo, ow_hi, xg, wo, bo, yo, params); o += 1; break;
          case 2: conv_channels_sw(2, &g, oh_n, ow_n, ow_lo, ow_hi, xg, wo, bo, yo, params); o += 2; break;
          case 3: conv_channels_sw(3, &g, oh_n, ow_n, ow_lo, ow_hi, xg, wo, bo, yo, params); o += 3; break;
          default: conv_channels_sw(4, &g, oh_n, ow_n, ow_lo, ow_hi, xg, wo, bo, yo, params); o += 4; break;
        }
      }
    }
  }
}
