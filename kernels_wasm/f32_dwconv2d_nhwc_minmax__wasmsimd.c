/* f32_dwconv2d_nhwc_minmax__wasmsimd: depthwise 2-D convolution, NHWC.
 *
 * x [N, H, W, C], y [N, OH, OW, C]; channel multiplier 1 (group == C == M).
 * shape: the int32 array [N, H, W, C, KH, KW, OH, OW, sh, sw, pad_top,
 * pad_left, dh, dw] (pad bottom/right implied by OH/OW). packed_w: (1 + KH *
 * KW) rows of Cp = round_up(C, 4) floats, zero-padded: row 0 the bias, row 1
 * + kh * KW + kw the tap's weights per channel (wasm_infer.kernels.
 * pack_conv2d_nhwc), so weights are always whole vector loads.
 *
 * SIMD over channels (4 per vector). Fast path for 3x3 and 5x5, stride 1 or
 * 2, dilation 1: output pixels whose every tap lies inside the input (see
 * wi_conv_interior) in blocks of 4 along the row, each tap's weight vector
 * loaded once per block and shared by 4 accumulators, input columns shared
 * between neighbouring outputs. Every other pixel (borders, other kernels,
 * strides, dilations) goes through a generic per-pixel loop over the taps
 * that fall inside the input (padding contributes nothing). Channels past
 * the last multiple of 4 are done in scalar code. Bias and clamp are fused.
 * Reads only x, packed_w (its (1 + KH * KW) * Cp floats), shape, params;
 * writes exactly y.
 */
#include "kernels.h"

typedef struct dwn_geom {
  int32_t h, w, c, kh, kw, oh, ow, sh, sw, pt, pl, dh, dw, cp;
} dwn_geom;

/* Output pixel (oh, ow) of one image, all channels, taps clipped to the input. */
static void dwn_pixel(const dwn_geom* g, const float* x, const float* pw, float* yp,
                      int32_t oh, int32_t ow, v128_t vmin, v128_t vmax, float lo, float hi) {
  const int32_t ih0 = oh * g->sh - g->pt, iw0 = ow * g->sw - g->pl;
  const int32_t kh0 = ih0 < 0 ? (-ih0 + g->dh - 1) / g->dh : 0;
  const int32_t kw0 = iw0 < 0 ? (-iw0 + g->dw - 1) / g->dw : 0;
  int32_t kh1 = g->h - 1 - ih0 < 0 ? 0 : (g->h - 1 - ih0) / g->dh + 1;
  int32_t kw1 = g->w - 1 - iw0 < 0 ? 0 : (g->w - 1 - iw0) / g->dw + 1;
  if (kh1 > g->kh) kh1 = g->kh;
  if (kw1 > g->kw) kw1 = g->kw;
  const size_t c_n = (size_t)g->c, cp = (size_t)g->cp, c4 = c_n & ~(size_t)3;
  const size_t xrow = (size_t)g->w * c_n;
  const float* xb = x + (ptrdiff_t)ih0 * (ptrdiff_t)xrow + (ptrdiff_t)iw0 * (ptrdiff_t)c_n;
  size_t c = 0;
  for (; c < c4; c += 4) {
    v128_t acc = wasm_v128_load(pw + c);
    for (int32_t kh = kh0; kh < kh1; kh++) {
      const float* r = xb + (size_t)(kh * g->dh) * xrow + c;
      const float* wr = pw + (size_t)(1 + kh * g->kw) * cp + c;
      for (int32_t kw = kw0; kw < kw1; kw++)
        acc = wi_madd(acc, wasm_v128_load(r + (size_t)(kw * g->dw) * c_n), wasm_v128_load(wr + kw * cp));
    }
    wasm_v128_store(yp + c, wi_clamp(acc, vmin, vmax));
  }
  for (; c < c_n; c++) {
    float acc = pw[c];
    for (int32_t kh = kh0; kh < kh1; kh++)
      for (int32_t kw = kw0; kw < kw1; kw++)
        acc += xb[(size_t)(kh * g->dh) * xrow + (size_t)(kw * g->dw) * c_n + c] * pw[(size_t)(1 + kh * g->kw + kw) * cp + c];
    yp[c] = wi_clampf(acc, lo, hi);
  }
}

/* 4 adjacent interior outputs, K x K kernel, stride S, dilation 1. xb points
 * at input (ih0, iw0, 0) of the first output; all taps are inside the input. */
WI_INLINE void dwn_block4(const int32_t K, const int32_t S, const dwn_geom* g, const float* xb,
                          const float* pw, float* yp, v128_t vmin, v128_t vmax, float lo, float hi) {
  const size_t c_n = (size_t)g->c, cp = (size_t)g->cp, c4 = c_n & ~(size_t)3;
  const size_t xrow = (size_t)g->w * c_n;
  size_t c = 0;
  for (; c < c4; c += 4) {
    const v128_t b = wasm_v128_load(pw + c);
    v128_t a0 = b, a1 = b, a2 = b, a3 = b;
    const float* r = xb + c;
    const float* wr = pw + cp + c;
    for (int32_t kh = 0; kh < K; kh++, r += xrow) {
      for (int32_t kw = 0; kw < K; kw++, wr += cp) {
        const v128_t vw = wasm_v128_load(wr);
        a0 = wi_madd(a0, wasm_v128_load(r + (size_t)(kw) * c_n), vw);
        a1 = wi_madd(a1, wasm_v128_load(r + (size_t)(S + kw) * c_n), vw);
        a2 = wi_madd(a2, wasm_v128_load(r + (size_t)(2 * S + kw) * c_n), vw);
        a3 = wi_madd(a3, wasm_v128_load(r + (size_t)(3 * S + kw) * c_n), vw);
      }
    }
    wasm_v128_store(yp + c, wi_clamp(a0, vmin, vmax));
    wasm_v128_store(yp + c_n + c, wi_clamp(a1, vmin, vmax));
    wasm_v128_store(yp + 2 * c_n + c, wi_clamp(a2, vmin, vmax));
    wasm_v128_store(yp + 3 * c_n + c, wi_clamp(a3, vmin, vmax));
  }
  for (; c < c_n; c++) {
    for (int32_t px = 0; px < 4; px++) {
      float acc = pw[c];
      for (int32_t kh = 0; kh < K; kh++)
        for (int32_t kw = 0; kw < K; kw++)
          acc += xb[(size_t)kh * xrow + (size_t)(px * S + kw) * c_n + c] * pw[(size_t)(1 + kh * K + kw) * cp + c];
      yp[(size_t)px * c_n + c] = wi_clampf(acc, lo, hi);
    }
  }
}

/* One output row: generic borders, fast 4-pixel blocks in [lo, hi). */
WI_INLINE void dwn_row(const int32_t K, const int32_t S, const dwn_geom* g, const float* x,
                       const float* pw, float* yr, int32_t oh, int32_t lo, int32_t hi,
                       v128_t vmin, v128_t vmax, float flo, float fhi) {
  const size_t c_n = (size_t)g->c;
  int32_t ow = 0;
  for (; ow < lo; ow++) dwn_pixel(g, x, pw, yr + (size_t)ow * c_n, oh, ow, vmin, vmax, flo, fhi);
  if (K) {
    const float* xr = x + (size_t)(oh * S - g->pt) * (size_t)g->w * c_n;
    for (; ow + 4 <= hi; ow += 4)
      dwn_block4(K, S, g, xr + (size_t)(ow * S - g->pl) * c_n, pw, yr + (size_t)ow * c_n, vmin, vmax, flo, fhi);
  }
  for (; ow < g->ow; ow++) dwn_pixel(g, x, pw, yr + (size_t)ow * c_n, oh, ow, vmin, vmax, flo, fhi);
}

WI_INLINE void dwn_image(const int32_t K, const int32_t S, const dwn_geom* g, const float* x,
                         const float* pw, float* y, v128_t vmin, v128_t vmax, float lo, float hi) {
  int32_t clo = 0, chi = 0, rlo = 0, rhi = 0;
  if (K) {
    wi_conv_interior(g->ow, g->w, K, S, g->pl, 1, &clo, &chi);
    wi_conv_interior(g->oh, g->h, K, S, g->pt, 1, &rlo, &rhi);
  }
  const size_t yrow = (size_t)g->ow * (size_t)g->c;
  for (int32_t oh = 0; oh < g->oh; oh++) {
    const int inside = oh >= rlo && oh < rhi;
    dwn_row(inside ? K : 0, S, g, x, pw, y + (size_t)oh * yrow, oh, clo, chi, vmin, vmax, lo, hi);
  }
}

WI_EXPORT void f32_dwconv2d_nhwc_minmax__wasmsimd(
    const float* x, const float* packed_w, float* y, const int32_t* shape, const float* params) {
  const dwn_geom g = {shape[1], shape[2], shape[3], shape[4], shape[5], shape[6], shape[7],
                      shape[8], shape[9], shape[10], shape[11], shape[12], shape[13],
                      (shape[3] + 3) & ~3};
  const int32_t n = shape[0];
  const float lo = params[0], hi = params[1];
  const v128_t vmin = wasm_f32x4_splat(lo), vmax = wasm_f32x4_splat(hi);
  const size_t xs = (size_t)g.h * g.w * g.c, ys = (size_t)g.oh * g.ow * g.c;
  const int fast = g.kh == g.kw && g.dh == 1 && g.dw == 1 && g.sh == g.sw;
  const int32_t key = fast ? g.kh * 10 + g.sh : 0;
  for (int32_t b = 0; b < n; b++, x += xs, y += ys) {
    switch (key) {
      case 31: dwn_image(3, 1, &g, x, packed_w, y, vmin, vmax, lo, hi); break;
      case 32: dwn_image(3, 2, &g, x, packed_w, y, vmin, vmax, lo, hi); break;
      case 51: dwn_image(5, 1, &g, x, packed_w, y, vmin, vmax, lo, hi); break;
      case 52: dwn_image(5, 2, &g, x, packed_w, y, vmin, vmax, lo, hi); break;
      default: dwn_image(0, 1, &g, x, packed_w, y, vmin, vmax, lo, hi); break;
    }
  }
}
