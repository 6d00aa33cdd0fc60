/* f32_dwconv2d_nchw_minmax__wasmsimd: depthwise 2-D convolution, NCHW.
 *
 * group == C == M; weights [C, 1, KH, KW]; any kernel size, stride, padding
 * (asymmetric: bottom/right implied by OH/OW), dilation. shape is the int32
 * array [N, C, H, W, M, KH, KW, OH, OW, group, sh, sw, pad_top, pad_left,
 * dh, dw] (M and group are ignored here: they equal C).
 *
 * SIMD along output width, 16 outputs at a time (the last 1..15 of a row in
 * one block of up to 4 vectors); input loaded
 * contiguously for stride 1, deinterleaved for stride 2, gathered otherwise.
 * Banded path (the usual one): a band of input rows is copied, zero-padded,
 * into a stack tile wide enough for every output column rounded up to 4, so
 * the vector loop has no bounds checks and no scalar border; the last 1..3
 * outputs of a row are stored with partial stores.
 * Fallback when even one band of rows does not fit the tile (very wide
 * rows): vector blocks in the interior columns (every tap inside the row, see
 * wi_conv_interior), rows outside the input skipped, border columns one output
 * at a time with bounds checks.
 * Never reads outside x, w, bias; writes exactly y[N, C, OH, OW].
 */
#include "kernels.h"

typedef struct dw_geom {
  int32_t h, w, kh_n, kw_n, sh, sw, pt, pl, dh, dw;
} dw_geom;

/* ---- banded path ---- */

/* 4*NV adjacent outputs from the padded tile: base points at the tile element
 * of tap (0, 0) of the first output; `lanes` (< 4) stores only that many
 * outputs of the last vector (0 = all). */
WI_INLINE void dwb_block(const size_t NV, const int32_t SW, const int32_t K, const dw_geom* g,
                         const float* base, int32_t wp, const float* wc, float bias, float* yp,
                         size_t lanes, v128_t vmin, v128_t vmax) {
  v128_t acc[4];
  for (size_t v = 0; v < NV; v++) acc[v] = wasm_f32x4_splat(bias);
  const int32_t sw = SW ? SW : g->sw;
  /* K: 3 or 5 = square kernel, dilation 1, known at compile time (unrolled); 0 = runtime */
  const int32_t kh_n = K ? K : g->kh_n, kw_n = K ? K : g->kw_n;
  const int32_t dh = K ? 1 : g->dh, dw = K ? 1 : g->dw;
  for (int32_t kh = 0; kh < kh_n; kh++) {
    const float* r = base + kh * dh * wp;
    const float* wr = wc + kh * kw_n;
    for (int32_t kw = 0; kw < kw_n; kw++) {
      const v128_t vw = wasm_v128_load32_splat(wr + kw);
      const float* rk = r + kw * dw;
      for (size_t v = 0; v < NV; v++)
        acc[v] = wi_madd(acc[v], wi_load_x4(rk + 4 * v * sw, SW, sw), vw);
    }
  }
  for (size_t v = 0; v + 1 < NV; v++) wasm_v128_store(yp + 4 * v, wi_clamp(acc[v], vmin, vmax));
  const v128_t last = wi_clamp(acc[NV - 1], vmin, vmax);
  if (lanes) wi_store_partial(yp + 4 * (NV - 1), last, lanes);
  else wasm_v128_store(yp + 4 * (NV - 1), last);
}

/* One channel plane through the padded tile, band_h output rows at a time. */
WI_INLINE void dwb_plane(const int32_t SW, const int32_t K, const dw_geom* g, int32_t oh_n, int32_t ow_n,
                         int32_t wp, int32_t band_h, float* tile, const float* xc,
                         const float* wc, float bias, float* yc, v128_t vmin, v128_t vmax) {
  const int32_t sw = SW ? SW : g->sw;
  for (int32_t oh0 = 0; oh0 < oh_n; oh0 += band_h) {
    const int32_t rows = oh_n - oh0 < band_h ? oh_n - oh0 : band_h;
    wi_fill_padded_rows(tile, wp, (rows - 1) * g->sh + (g->kh_n - 1) * g->dh + 1, xc,
                        g->h, g->w, oh0 * g->sh - g->pt, g->pl);
    for (int32_t r = 0; r < rows; r++) {
      float* yr = yc + (size_t)(oh0 + r) * ow_n;
      const float* base = tile + r * g->sh * wp;
      int32_t ow = 0;
      for (; ow + 16 <= ow_n; ow += 16) dwb_block(4, SW, K, g, base + ow * sw, wp, wc, bias, yr + ow, 0, vmin, vmax);
      /* the last 1..15 outputs in one block (independent accumulators hide latency) */
      const size_t rest = (size_t)(ow_n - ow), lanes = rest & 3;
      const float* bp = base + ow * sw;
      switch ((rest + 3) >> 2) {
        case 1: dwb_block(1, SW, K, g, bp, wp, wc, bias, yr + ow, lanes, vmin, vmax); break;
        case 2: dwb_block(2, SW, K, g, bp, wp, wc, bias, yr + ow, lanes, vmin, vmax); break;
        case 3: dwb_block(3, SW, K, g, bp, wp, wc, bias, yr + ow, lanes, vmin, vmax); break;
        case 4: dwb_block(4, SW, K, g, bp, wp, wc, bias, yr + ow, lanes, vmin, vmax); break;
        default: break;
      }
    }
  }
}

/* ---- fallback path (bounds-checked) ---- */

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
        acc[v] = wi_madd(acc[v], wi_load_x4(rk + 4 * v * sw, SW, sw), vw);
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
  const size_t x_plane = (size_t)g.h * g.w, y_plane = (size_t)oh_n * ow_n;
  const size_t w_plane = (size_t)g.kh_n * g.kw_n;

  /* Banded path: tile width covers every output column rounded up to 4. */
  const int32_t ow_r = (ow_n + 3) & ~3;
  const int32_t wp = (ow_r - 1) * g.sw + (g.kw_n - 1) * g.dw + 1;
  const int32_t span_h = (g.kh_n - 1) * g.dh + 1; /* input rows under one output row */
  const int32_t tile_rows = wp <= WI_CONV_TILE_FLOATS ? WI_CONV_TILE_FLOATS / wp : 0;
  if (tile_rows >= span_h) {
    float tile[WI_CONV_TILE_FLOATS];
    int32_t band_h = (tile_rows - span_h) / g.sh + 1;
    if (band_h > oh_n) band_h = oh_n;
    const v128_t vmin = wasm_v128_load32_splat(&params->min);
    const v128_t vmax = wasm_v128_load32_splat(&params->max);
    /* specialised: stride 1 or 2 (0x10 / 0x20) x square 3x3 / 5x5 undilated (| 3 / 5) */
    const int32_t square = g.kh_n == g.kw_n && (g.kh_n == 3 || g.kh_n == 5) && g.dh == 1 && g.dw == 1
                           ? g.kh_n : 0;
    const int32_t variant = g.sw == 1 || g.sw == 2 ? (g.sw << 4) | square : 0;
    for (int32_t b = 0; b < n_n; b++) {
      for (int32_t c = 0; c < c_n; c++) {
        const size_t bc = (size_t)b * c_n + c;
        const float* xc = x + bc * x_plane;
        const float* wc = w + (size_t)c * w_plane;
        float* yc = y + bc * y_plane;
        const float bv = bias ? bias[c] : 0.0f;
        switch (variant) {
          case 0x13: dwb_plane(1, 3, &g, oh_n, ow_n, wp, band_h, tile, xc, wc, bv, yc, vmin, vmax); break;
          case 0x23: dwb_plane(2, 3, &g, oh_n, ow_n, wp, band_h, tile, xc, wc, bv, yc, vmin, vmax); break;
          case 0x15: dwb_plane(1, 5, &g, oh_n, ow_n, wp, band_h, tile, xc, wc, bv, yc, vmin, vmax); break;
          case 0x25: dwb_plane(2, 5, &g, oh_n, ow_n, wp, band_h, tile, xc, wc, bv, yc, vmin, vmax); break;
          case 0x10: dwb_plane(1, 0, &g, oh_n, ow_n, wp, band_h, tile, xc, wc, bv, yc, vmin, vmax); break;
          case 0x20: dwb_plane(2, 0, &g, oh_n, ow_n, wp, band_h, tile, xc, wc, bv, yc, vmin, vmax); break;
          default: dwb_plane(0, 0, &g, oh_n, ow_n, wp, band_h, tile, xc, wc, bv, yc, vmin, vmax); break;
        }
      }
    }
    return;
  }

  int32_t ow_lo, ow_hi;
  wi_conv_interior(ow_n, g.w, g.kw_n, g.sw, g.pl, g.dw, &ow_lo, &ow_hi);
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
