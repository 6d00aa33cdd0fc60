/* f32_conv2d_nchw_minmax__wasmsimd: grouped 2-D convolution, NCHW.
 *
 * x [N, C, H, W], w [M, C/group, KH, KW] (ONNX Conv), bias [M] or 0,
 * y [N, M, OH, OW]; shape is the int32 array [N, C, H, W, M, KH, KW, OH, OW,
 * group, sh, sw, pad_top, pad_left, dh, dw]; zero padding, bottom/right pads
 * implied by OH/OW.
 *
 * - 1x1, stride 1, no padding: per image and group a GEMM
 *   Y[Mg x HW] = W[Mg x Cg] @ X[Cg x HW] + bias per row (wi_f32_gemm_minmax).
 * - otherwise, tiles of up to 4 output channels x 8 output columns: SIMD
 *   along output width; each tap's weight broadcast and multiplied into the
 *   column vectors.
 *   Banded path (the usual one): a band of rows of the group's Cg input
 *   channels is copied, zero-padded, into a stack tile wide enough for every
 *   output column rounded up to 4; the reduction is one flat loop over the
 *   Cg*KH*KW taps (a table of tile offsets; ONNX weights are contiguous in that
 *   order), with no bounds checks; partial stores for the last 1..3 columns.
 *   Fallback when the tile or the tap table does not fit (wide rows, many
 *   input channels): vector blocks in the interior columns (every tap inside
 *   the row), rows outside the input skipped, border columns one output at a
 *   time with bounds checks.
 * Never reads outside x, w, bias; writes exactly y.
 */
#include "kernels.h"

typedef struct conv_geom {
  int32_t h, w, cg, kh_n, kw_n, sh, sw, pt, pl, dh, dw;
  size_t x_plane, w_oc; /* H*W; Cg*KH*KW */
} conv_geom;

/* ---- banded path ---- */

/* OCB output channels x 4*NV adjacent outputs from the tile: base points at the
 * tile element of tap 0 of the first output, off[t] is tap t's offset, wo the
 * first channel's T weights; `lanes` (< 4) stores only that many outputs of the
 * last vector (0 = all). */
WI_INLINE void convb_block(const size_t OCB, const size_t NV, const int32_t SW, int32_t sw,
                           const float* base, const int32_t* off, int32_t taps,
                           const float* wo, const float* bias, float* yo, size_t y_plane,
                           size_t lanes, v128_t vmin, v128_t vmax) {
  v128_t acc[4][2];
  for (size_t o = 0; o < OCB; o++) {
    const v128_t vb = bias ? wasm_v128_load32_splat(bias + o) : wasm_f32x4_const_splat(0.0f);
    for (size_t v = 0; v < NV; v++) acc[o][v] = vb;
  }
  if (SW) sw = SW;
  for (int32_t t = 0; t < taps; t++) {
    const float* p = base + off[t];
    v128_t vx[2];
    for (size_t v = 0; v < NV; v++) vx[v] = wi_load_x4(p + 4 * v * sw, SW, sw);
    for (size_t o = 0; o < OCB; o++) {
      const v128_t vw = wasm_v128_load32_splat(wo + o * (size_t)taps + t);
      for (size_t v = 0; v < NV; v++) acc[o][v] = wi_madd(acc[o][v], vx[v], vw);
    }
  }
  for (size_t o = 0; o < OCB; o++) {
    for (size_t v = 0; v + 1 < NV; v++) wasm_v128_store(yo + o * y_plane + 4 * v, wi_clamp(acc[o][v], vmin, vmax));
    const v128_t last = wi_clamp(acc[o][NV - 1], vmin, vmax);
    if (lanes) wi_store_partial(yo + o * y_plane + 4 * (NV - 1), last, lanes);
    else wasm_v128_store(yo + o * y_plane + 4 * (NV - 1), last);
  }
}

/* Rows [oh0, oh0 + rows) of OCB output channels from the filled tile. */
WI_INLINE void convb_rows(const size_t OCB, const int32_t SW, const conv_geom* g,
                          int32_t rows, int32_t oh0, int32_t ow_n, int32_t wp,
                          const float* tile, const int32_t* off, int32_t taps,
                          const float* wo, const float* bias, float* yo, size_t y_plane,
                          v128_t vmin, v128_t vmax) {
  const int32_t sw = SW ? SW : g->sw;
  for (int32_t r = 0; r < rows; r++) {
    float* yr = yo + (size_t)(oh0 + r) * ow_n;
    const float* base = tile + r * g->sh * wp;
    int32_t ow = 0;
    for (; ow + 8 <= ow_n; ow += 8)
      convb_block(OCB, 2, SW, sw, base + ow * sw, off, taps, wo, bias, yr + ow, y_plane, 0, vmin, vmax);
    /* the last 1..7 outputs in one block */
    const size_t rest = (size_t)(ow_n - ow), lanes = rest & 3;
    if (rest > 4)
      convb_block(OCB, 2, SW, sw, base + ow * sw, off, taps, wo, bias, yr + ow, y_plane, lanes, vmin, vmax);
    else if (rest > 0)
      convb_block(OCB, 1, SW, sw, base + ow * sw, off, taps, wo, bias, yr + ow, y_plane, lanes, vmin, vmax);
  }
}

WI_INLINE void convb_rows_sw(const size_t OCB, const conv_geom* g, int32_t rows, int32_t oh0,
                             int32_t ow_n, int32_t wp, const float* tile, const int32_t* off,
                             int32_t taps, const float* wo, const float* bias, float* yo,
                             size_t y_plane, v128_t vmin, v128_t vmax) {
  if (g->sw == 1) convb_rows(OCB, 1, g, rows, oh0, ow_n, wp, tile, off, taps, wo, bias, yo, y_plane, vmin, vmax);
  else if (g->sw == 2) convb_rows(OCB, 2, g, rows, oh0, ow_n, wp, tile, off, taps, wo, bias, yo, y_plane, vmin, vmax);
  else convb_rows(OCB, 0, g, rows, oh0, ow_n, wp, tile, off, taps, wo, bias, yo, y_plane, vmin, vmax);
}

/* The whole convolution through the tile; returns 0 (nothing done) when the
 * tile or the tap table is too small for this shape. */
static int conv_banded(const conv_geom* g, int32_t n_n, int32_t c_n, int32_t m_n, int32_t groups,
                       int32_t oh_n, int32_t ow_n, const float* x, const float* w, const float* bias,
                       float* y, const wi_minmax_params* params) {
  const int32_t mg = m_n / groups;
  const int32_t taps = g->cg * g->kh_n * g->kw_n;
  const int32_t ow_r = (ow_n + 3) & ~3;
  const int32_t wp = (ow_r - 1) * g->sw + (g->kw_n - 1) * g->dw + 1;
  const int32_t span_h = (g->kh_n - 1) * g->dh + 1;
  if (taps > WI_CONV_MAX_TAPS || g->cg == 0 || wp > WI_CONV_GTILE_FLOATS / g->cg) return 0;
  const int32_t hp_max = WI_CONV_GTILE_FLOATS / g->cg / wp; /* tile rows per channel */
  if (hp_max < span_h) return 0;
  int32_t band_h = (hp_max - span_h) / g->sh + 1;
  if (band_h > oh_n) band_h = oh_n;
  const int32_t hp = (band_h - 1) * g->sh + span_h;

  float tile[WI_CONV_GTILE_FLOATS];
  int32_t off[WI_CONV_MAX_TAPS];
  for (int32_t ic = 0, t = 0; ic < g->cg; ic++)
    for (int32_t kh = 0; kh < g->kh_n; kh++)
      for (int32_t kw = 0; kw < g->kw_n; kw++)
        off[t++] = (ic * hp + kh * g->dh) * wp + kw * g->dw;

  const v128_t vmin = wasm_v128_load32_splat(&params->min);
  const v128_t vmax = wasm_v128_load32_splat(&params->max);
  const size_t y_plane = (size_t)oh_n * ow_n;
  for (int32_t b = 0; b < n_n; b++) {
    for (int32_t gi = 0; gi < groups; gi++) {
      const float* xg = x + ((size_t)b * c_n + (size_t)gi * g->cg) * g->x_plane;
      for (int32_t oh0 = 0; oh0 < oh_n; oh0 += band_h) {
        const int32_t rows = oh_n - oh0 < band_h ? oh_n - oh0 : band_h;
        const int32_t rows_in = (rows - 1) * g->sh + span_h;
        for (int32_t ic = 0; ic < g->cg; ic++)
          wi_fill_padded_rows(tile + (size_t)ic * hp * wp, wp, rows_in, xg + (size_t)ic * g->x_plane,
                              g->h, g->w, oh0 * g->sh - g->pt, g->pl);
        for (int32_t o = 0; o < mg; ) {
          const int32_t oc = gi * mg + o;
          const float* wo = w + (size_t)oc * taps;
          const float* bo = bias ? bias + oc : 0;
          float* yo = y + ((size_t)b * m_n + oc) * y_plane;
          switch (mg - o) {
            case 1: convb_rows_sw(1, g, rows, oh0, ow_n, wp, tile, off, taps, wo, bo, yo, y_plane, vmin, vmax); o += 1; break;
            case 2: convb_rows_sw(2, g, rows, oh0, ow_n, wp, tile, off, taps, wo, bo, yo, y_plane, vmin, vmax); o += 2; break;
            case 3: convb_rows_sw(3, g, rows, oh0, ow_n, wp, tile, off, taps, wo, bo, yo, y_plane, vmin, vmax); o += 3; break;
            default: convb_rows_sw(4, g, rows, oh0, ow_n, wp, tile, off, taps, wo, bo, yo, y_plane, vmin, vmax); o += 4; break;
          }
        }
      }
    }
  }
  return 1;
}

/* ---- fallback path (bounds-checked) ---- */

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
          for (size_t v = 0; v < NV; v++) acc[o][v] = wi_madd(acc[o][v], vx[v], vw);
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

  if (conv_banded(&g, n_n, c_n, m_n, groups, oh_n, ow_n, x, w, bias, y, params)) return;

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
