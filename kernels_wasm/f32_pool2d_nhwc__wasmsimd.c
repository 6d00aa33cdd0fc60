/* f32_pool2d_nhwc__wasmsimd: windowed max / average pool, NHWC.
 *
 * x [N, H, W, C], y [N, OH, OW, C]. shape: the int32 array [N, H, W, C, KH,
 * KW, OH, OW, sh, sw, pad_top, pad_left, pad_bottom, pad_right, dh, dw, kind]
 * with kind 0 = max (padding ignored; NaN propagates), 1 = average counting
 * the padding (divisor: window taps inside [-pad, size + pad_end)), 2 =
 * average over the taps inside the input only. A window with no tap inside
 * the input gives -inf (max) or 0 (average). params: {min, max} clamp of the
 * result. SIMD over channels; per output pixel the window is clipped to the
 * input once. Reads only x, shape and params; writes exactly y.
 */
#include "kernels.h"

WI_INLINE void pool_range(int32_t o, int32_t s, int32_t pad, int32_t d, int32_t k, int32_t size,
                          int32_t* k0, int32_t* k1) {
  const int32_t i0 = o * s - pad;
  *k0 = i0 < 0 ? (-i0 + d - 1) / d : 0;
  int32_t e = size - 1 - i0 < 0 ? 0 : (size - 1 - i0) / d + 1;
  *k1 = e < k ? e : k;
}

/* One output pixel, NV vectors of channels (the last one `lanes` wide, 1..4;
 * NV, lanes and is_max compile-time): max (is_max) or scaled sum over the
 * taps [kh0, kh1) x [kw0, kw1) (all inside the input) of the window at input
 * pixel (ih0, iw0) of the image xc (offset to the first channel); pixel
 * stride cn floats, row width w. Measured in ResNet-18 (MaxPool 3x3 s2,
 * 112x112x64, Node 20): one vector with a runtime-width load per tap before,
 * 1.4-1.5 ms; 16 channels per pass with full loads after, see PERFORMANCE.md. */
WI_INLINE void pool_px(const size_t NV, const size_t lanes, const int is_max, const float* xc, float* y,
                       int32_t ih0, int32_t iw0, int32_t w, size_t cn, int32_t dh, int32_t dw,
                       int32_t kh0, int32_t kh1, int32_t kw0, int32_t kw1,
                       v128_t scale, v128_t vmin, v128_t vmax) {
  v128_t acc[4];
  for (size_t v = 0; v < NV; v++)
    acc[v] = is_max ? wasm_f32x4_const_splat(-__builtin_inff()) : wasm_f32x4_const_splat(0.0f);
  for (int32_t kh = kh0; kh < kh1; kh++) {
    const float* row = xc + (size_t)(ih0 + kh * dh) * w * cn;
    for (int32_t kw = kw0; kw < kw1; kw++) {
      const float* p = row + (size_t)(iw0 + kw * dw) * cn;
      for (size_t v = 0; v < NV; v++) {
        const v128_t x = lanes == 4 ? wasm_v128_load(p + 4 * v) : wi_load_partial(p + 4 * v, lanes);
        acc[v] = is_max ? wasm_f32x4_max(acc[v], x) : wasm_f32x4_add(acc[v], x);
      }
    }
  }
  for (size_t v = 0; v < NV; v++) {
    const v128_t r = wi_clamp(is_max ? acc[v] : wasm_f32x4_mul(acc[v], scale), vmin, vmax);
    if (lanes == 4) wasm_v128_store(y + 4 * v, r);
    else wi_store_partial(y + 4 * v, r, lanes);
  }
}

WI_EXPORT void f32_pool2d_nhwc__wasmsimd(const float* x, float* y, const int32_t* shape, const float* params) {
  const int32_t n = shape[0], h = shape[1], w = shape[2], c = shape[3], kh_n = shape[4], kw_n = shape[5];
  const int32_t oh_n = shape[6], ow_n = shape[7], sh = shape[8], sw = shape[9];
  const int32_t pt = shape[10], pl = shape[11], pb = shape[12], pr = shape[13];
  const int32_t dh = shape[14], dw = shape[15], kind = shape[16];
  const v128_t vmin = wasm_v128_load32_splat(params), vmax = wasm_v128_load32_splat(params + 1);
  const size_t cn = (size_t)c;
  for (int32_t b = 0; b < n; b++) {
    const float* xb = x + (size_t)b * h * w * cn;
    for (int32_t oh = 0; oh < oh_n; oh++) {
      int32_t kh0, kh1, t, ph1, pw1;
      pool_range(oh, sh, pt, dh, kh_n, h, &kh0, &kh1);
      pool_range(oh, sh, 0, dh, kh_n, h + pt + pb, &t, &ph1); /* window taps inside the padded input */
      for (int32_t ow = 0; ow < ow_n; ow++, y += cn) {
        int32_t kw0, kw1;
        pool_range(ow, sw, pl, dw, kw_n, w, &kw0, &kw1);
        pool_range(ow, sw, 0, dw, kw_n, w + pl + pr, &t, &pw1);
        const int32_t ih0 = oh * sh - pt, iw0 = ow * sw - pl;
        const int32_t count = kind == 1 ? ph1 * pw1 : (kh1 > kh0 && kw1 > kw0 ? (kh1 - kh0) * (kw1 - kw0) : 0);
        const v128_t scale = wasm_f32x4_splat(count > 0 ? 1.0f / (float)count : 0.0f);
        size_t ch = 0;
        if (kind == 0) {
          for (; ch + 16 <= cn; ch += 16) pool_px(4, 4, 1, xb + ch, y + ch, ih0, iw0, w, cn, dh, dw, kh0, kh1, kw0, kw1, scale, vmin, vmax);
          for (; ch + 4 <= cn; ch += 4) pool_px(1, 4, 1, xb + ch, y + ch, ih0, iw0, w, cn, dh, dw, kh0, kh1, kw0, kw1, scale, vmin, vmax);
        } else {
          for (; ch + 16 <= cn; ch += 16) pool_px(4, 4, 0, xb + ch, y + ch, ih0, iw0, w, cn, dh, dw, kh0, kh1, kw0, kw1, scale, vmin, vmax);
          for (; ch + 4 <= cn; ch += 4) pool_px(1, 4, 0, xb + ch, y + ch, ih0, iw0, w, cn, dh, dw, kh0, kh1, kw0, kw1, scale, vmin, vmax);
        }
        switch (cn - ch) {
          case 1: pool_px(1, 1, kind == 0, xb + ch, y + ch, ih0, iw0, w, cn, dh, dw, kh0, kh1, kw0, kw1, scale, vmin, vmax); break;
          case 2: pool_px(1, 2, kind == 0, xb + ch, y + ch, ih0, iw0, w, cn, dh, dw, kh0, kh1, kw0, kw1, scale, vmin, vmax); break;
          case 3: pool_px(1, 3, kind == 0, xb + ch, y + ch, ih0, iw0, w, cn, dh, dw, kh0, kh1, kw0, kw1, scale, vmin, vmax); break;
          default: break;
        }
      }
    }
  }
}
