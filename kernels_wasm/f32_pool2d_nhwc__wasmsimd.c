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
        for (size_t ch = 0; ch < cn; ch += 4) {
          const size_t r = wi_min_size(cn - ch, 4);
          v128_t acc = kind == 0 ? wasm_f32x4_const_splat(-__builtin_inff()) : wasm_f32x4_const_splat(0.0f);
          for (int32_t kh = kh0; kh < kh1; kh++) {
            const float* row = xb + ((size_t)(ih0 + kh * dh) * w) * cn + ch;
            for (int32_t kw = kw0; kw < kw1; kw++) {
              const v128_t v = wi_load_partial(row + (size_t)(iw0 + kw * dw) * cn, r);
              acc = kind == 0 ? wasm_f32x4_max(acc, v) : wasm_f32x4_add(acc, v);
            }
          }
          if (kind != 0) acc = wasm_f32x4_mul(acc, scale);
          wi_store_partial(y + ch, wi_clamp(acc, vmin, vmax), r);
        }
      }
    }
  }
}
