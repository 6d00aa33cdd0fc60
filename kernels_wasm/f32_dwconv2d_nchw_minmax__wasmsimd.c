/* f32_dwconv2d_nchw_minmax__wasmsimd: depthwise 2-D convolution, NCHW.
 *
 * group == C == M; weights [C, 1, KH, KW]; any kernel size, stride, padding
 * (asymmetric: bottom/right implied by OH/OW), dilation. shape is the int32
 * array [N, C, H, W, M, KH, KW, OH, OW, group, sh, sw, pad_top, pad_left,
 * dh, dw] (M and group are ignored here: they equal C).
 *
 * SIMD along output width: in the interior columns (every tap inside the
 * row, see wi_conv_interior) 16 or 4 outputs at a time, input loaded
 * contiguously for stride 1, deinterleaved for stride 2, gathered otherwise;
 * rows outside the input are skipped (zero padding); border columns and the
 * last < 4 interior columns are computed one output at a time with bounds
 * checks. Never reads outside x, w, bias; writes exactly y[N, C, OH, OW].
 */
#include "kernels.h"

typedef struct dw_geom {
  int32_t h, w, kh_n, kw_n, sh, sw, pt, pl, dh, dw;
} dw_geom;

/* 4*NV adjacent outputs of row oh starting at interior column ow0. */
WI_INLINE void dw_block(const size_t NV, const int32_t SW, const dw_geom* g,
                        const float* xc, const float* wc, float bias, float* yp,
                        int32_t oh, int32_t ow0, v128_t vmin, v128_t vmax) {
  v128_t acc[4];
  for (size_t v = 0; v < NV; v++) acc[v] = wasm_f32x4_splat(bias);
  const int32_t sw = SW ? SW : g->sw;
  const int32_t ih0 = oh * g->sh - g->pt;
  for (int32_t kh = 0; kh < g->kh_n; kh++) {
    const int32_t ih = ih0 + kh * g->dh;
    if ((uint32_t)ih >= (uint32_t)g->h) continue;
    const float* r = xc + (size_t)ih * g->w + (ow0 * sw - g->pl);
    const float* wr = wc + kh * g->kw_n;
    for (int32_t kw = 0; kw < g->kw_n; kw++) {
      const v128_t vw = wasm_v128_load32_splat(wr + kw);
      const float* rk = r + kw * g->dw;
      for (size_t v = 0; v < NV; v++)
        acc[v] = wasm_f32x4_add(acc[v], wasm_f32x4_mul(wi_load_x4(rk + 4 * v * sw, SW, sw), vw));
    }
  }
  for (size_t v = 0; v < NV; v++) wasm_v128_store(yp + 4 * v, wi_clamp(acc[v], vmin, vmax));
}

/* One output (oh, ow) with bounds checks on every tap. */
WI_INLINE float dw_point(const dw_geom* g, const float* xc, const float* wc, float bias,
                         int32_t oh, int32_t ow, float lo, float hi) {
  float acc = bias;
  const int32_t ih0 = oh * g->sh - g->pt, iw0 = ow * g->sw - g->pl;
  for (int32_t kh = 0; kh < g->kh_n; kh++) {
    const int32_t ih = ih0 + kh * g->dh;
    if ((uint32_t)ih >= (uint32_t)g->h) continue;
    const float* r = xc + (size_t)ih * g->w;
    for (int32_t kw = 0; kw < g->kw_n; kw++) {
      const int32_t iw = iw0 + kw * g->dw;
      if ((uint32_t)iw < (uint32_t)g->w) acc += r[iw] * wc[kh * g->kw_n + kw];
    }
  }
  return wi_clampf(acc, lo, hi);
}

/* One channel plane; SW is 1, 2 or 0 (runtime stride). */
WI_INLINE void dw_plane(const int32_t SW, const dw_geom* g, int32_t oh_n, int32_t ow_n,
                        int32_t ow_lo, int32_t ow_hi, const float* xc, const float* wc,
                        float bias, float* yc, const wi_minmax_params* params) {
  const float lo = params->min, hi = params->max;
  const v128_t vmin = wasm_f32x4_splat(lo), vmax = wasm_f32x4_splat(hi);
  for (int32_t oh = 0; oh < oh_n; oh++) {
    float* yr = yc + (size_t)oh * ow_n;
    int32_t ow = 0;
    for (; ow < ow_lo; ow++) yr[ow] = dw_point(g, xc, wc, bias, oh, ow, lo, hi);
    for (; ow + 16 <= ow_hi; ow += 16) dw_block(4, SW, g, xc, wc, bias, yr + ow, oh, ow, vmin, vmax);
    for (; ow + 4 <= ow_hi; ow += 4) dw_block(1, SW, g, xc, wc, bias, yr + ow, oh, ow, vmin, vmax);
    for (; ow < ow_n; ow++) yr[ow] = dw_point(g, xc, wc, bias, oh, ow, lo, hi);
  }
}

WI_EXPORT void f32_dwconv2d_nchw_minmax__wasmsimd(
    const float* x, const float* w, const float* bias, float* y,
    const int32_t* shape, const float* params_) {
  const wi_minmax_params* params = (const wi_minmax_params*)params_;
  const int32_t n_n = shape[WI_CONV_N], c_n = shape[WI_CONV_C];
  const int32_t oh_n = shape[WI_CONV_OH], ow_n = shape[WI_CONV_OW];
  const dw_geom g = {
    shape[WI_CONV_H], shape[WI_CONV_W], shape[WI_CONV_KH], shape[WI_CONV_KW],
    shape[WI_CONV_STRIDE_H], shape[WI_CONV_STRIDE_W],
    shape[WI_CONV_PAD_TOP], shape[WI_CONV_PAD_LEFT],
    shape[WI_CONV_DILATION_H], shape[WI_CONV_DILATION_W],
  };
  int32_t ow_lo, ow_hi;
  wi_conv_interior(ow_n, g.w, g.kw_n, g.sw, g.pl, g.dw, &ow_lo, &ow_hi);
  const size_t x_plane = (size_t)g.h * g.w, y_plane = (size_t)oh_n * ow_n;
  const size_t w_plane = (size_t)g.kh_n * g.kw_n;

  for (int32_t b = 0; b < n_n; b++) {
    for (int32_t c = 0; c < c_n; c++) {
      const size_t bc = (size_t)b * c_n + c;
      const float* xc = x + bc * x_plane;
      const float* wc = w + (size_t)c * w_plane;
      float* yc = y + bc * y_plane;
      const float bv = bias ? bias[c] : 0.0f;
      if (g.sw == 1) dw_plane(1, &g, oh_n, ow_n, ow_lo, ow_hi, xc, wc, bv, yc, params);
      else if (g.sw == 2) dw_plane(2, &g, oh_n, ow_n, ow_lo, ow_hi, xc, wc, bv, yc, params);
      else dw_plane(0, &g, oh_n, ow_n, ow_lo, ow_hi, xc, wc, bv, yc, params);
    }
  }
}
