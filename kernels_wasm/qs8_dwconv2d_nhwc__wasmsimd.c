/* qs8_dwconv2d_nhwc__wasmsimd: int8 depthwise 2-D convolution, NHWC (the
 * int8 twin of f32_dwconv2d_nhwc_minmax__wasmsimd).
 *
 * x [N, H, W, C] bytes (uint8 or int8), y [N, OH, OW, C] bytes; channel
 * multiplier 1. shape: the int32 array [N, H, W, C, KH, KW, OH, OW, sh, sw,
 * pad_top, pad_left, dh, dw]. packed_w (wasm_infer.kernels.
 * pack_qs8_conv2d_nhwc), Cp = round_up(C, 8): Cp int32 bias, Cp float32
 * scales, then KH * KW rows of Cp int16 weights (tap kh * KW + kw), zero
 * past C. params: the 8 int32 of qs8_requant.h.
 *
 * Per output pixel, 8 channels at a time: for each tap inside the input, 8
 * input bytes widened to int16 and centred (x - x_zero), multiplied by the
 * tap's 8 weights with i32x4.extmul_{low,high}_i16x8 into two int32
 * accumulators (exact); taps in the padding contribute nothing, as the
 * centred zero point would. The last C mod 8 channels go through a copy of
 * their bytes so that no load reads past x. Requantization as in
 * qs8_requant.h. Reads only x, packed_w, shape and params; writes exactly y.
 *
 * Fast path (3x3 and 5x5, dilation 1, any stride; EfficientNet's and
 * MobileNet's depthwise convs): in output rows whose taps all lie inside the
 * input, per block of 8 channels, the pixels whose taps all lie inside too
 * run a fully unrolled tap loop with no bounds checks, the block's weights
 * loaded once per row, and the input zero point folded into the bias once per
 * row and block (bias - x_zero * sum of the taps' weights: the same int32
 * sum, so the same bytes), so each tap is one load, one widening and two
 * multiply-adds. Border pixels and the last C mod 8 channels take the
 * generic loop.
 */
#include "qs8_requant.h"

/* One output row of one 8-channel block, output pixels [o0, o1) (every tap
 * inside the input): xr points at input (ih0, 0, c0), wt at tap 0 of the
 * block, b0/b1 the block's bias with the zero point folded in. */
WI_INLINE void wi_qs8_dw_row_fast(const int32_t K, const int32_t is_signed, const uint8_t* xr, size_t xrow,
                                  size_t c, int32_t sw, int32_t pl, const int16_t* wt, size_t cp,
                                  v128_t b0, v128_t b1, int32_t o0, int32_t o1, uint8_t* yr,
                                  const float* scale, const wi_qs8_rq* rq) {
  v128_t wv[25];
  for (int32_t t = 0; t < K * K; t++) wv[t] = wasm_v128_load(wt + (size_t)t * cp);
  for (int32_t ow = o0; ow < o1; ow++) {
    const uint8_t* px = xr + (size_t)(ow * sw - pl) * c;
    v128_t acc0 = b0, acc1 = b1;
    for (int32_t kh = 0; kh < K; kh++) {
      for (int32_t kw = 0; kw < K; kw++) {
        const v128_t v8 = wasm_v128_load64_zero(px + (size_t)kh * xrow + (size_t)kw * c);
        const v128_t v = is_signed ? wasm_i16x8_extend_low_i8x16(v8) : wasm_u16x8_extend_low_u8x16(v8);
        acc0 = wasm_i32x4_add(acc0, wasm_i32x4_extmul_low_i16x8(v, wv[kh * K + kw]));
        acc1 = wasm_i32x4_add(acc1, wasm_i32x4_extmul_high_i16x8(v, wv[kh * K + kw]));
      }
    }
    wi_qs8_store8(yr + (size_t)ow * c, acc0, acc1, scale, rq, 8);
  }
}

WI_EXPORT void qs8_dwconv2d_nhwc__wasmsimd(const uint8_t* x, const int16_t* packed_w, uint8_t* y,
                                           const int32_t* shape, const int32_t* params) {
  const int32_t n_ = shape[0], h = shape[1], w = shape[2], c_n = shape[3], kh_n = shape[4], kw_n = shape[5];
  const int32_t oh_n = shape[6], ow_n = shape[7], sh = shape[8], sw = shape[9], pt = shape[10], pl = shape[11];
  const int32_t dh = shape[12], dw = shape[13];
  const size_t c = (size_t)c_n, cp = (c + 7) & ~(size_t)7;
  const int32_t* bias = (const int32_t*)packed_w;
  const float* scale = (const float*)(packed_w + 2 * cp);
  const int16_t* wt = packed_w + 4 * cp;
  const int32_t xs = params[WI_QS8_X_SIGNED];
  const v128_t vz = wasm_i16x8_splat((int16_t)params[WI_QS8_X_ZERO]);
  const wi_qs8_rq rq = wi_qs8_rq_make(params);
  const v128_t vzx = wasm_i32x4_splat(params[WI_QS8_X_ZERO]);
  const int32_t fast_k = kh_n == kw_n && (kh_n == 3 || kh_n == 5) && dh == 1 && dw == 1;
  for (int32_t b = 0; b < n_; b++) {
    const uint8_t* xb = x + (size_t)b * (size_t)h * (size_t)w * c;
    for (int32_t oh = 0; oh < oh_n; oh++) {
      const int32_t ih0 = oh * sh - pt;
      /* fast path: [o0, o1) are the pixels with every tap inside in w; full blocks only */
      int32_t o0 = 0, o1 = 0;
      size_t c_fast = 0;
      if (fast_k && ih0 >= 0 && ih0 + kh_n <= h) {
        o0 = (pl + sw - 1) / sw;
        o1 = w - kw_n + pl >= 0 ? (w - kw_n + pl) / sw + 1 : 0;
        if (o1 > ow_n) o1 = ow_n;
        if (o0 < o1) c_fast = c & ~(size_t)7;
      }
      uint8_t* yrow = y + ((size_t)b * (size_t)oh_n + (size_t)oh) * (size_t)ow_n * c;
      for (size_t c0 = 0; c0 < c_fast; c0 += 8) {
        const int16_t* wb = wt + c0;
        v128_t s0 = wasm_i32x4_const_splat(0), s1 = wasm_i32x4_const_splat(0);
        for (int32_t t = 0; t < kh_n * kw_n; t++) {
          const v128_t vw = wasm_v128_load(wb + (size_t)t * cp);
          s0 = wasm_i32x4_add(s0, wasm_i32x4_extend_low_i16x8(vw));
          s1 = wasm_i32x4_add(s1, wasm_i32x4_extend_high_i16x8(vw));
        }
        const v128_t b0 = wasm_i32x4_sub(wasm_v128_load(bias + c0), wasm_i32x4_mul(s0, vzx));
        const v128_t b1 = wasm_i32x4_sub(wasm_v128_load(bias + c0 + 4), wasm_i32x4_mul(s1, vzx));
        const uint8_t* xr = xb + (size_t)ih0 * (size_t)w * c + c0;
        const size_t xrow = (size_t)w * c;
        if (kh_n == 3) {
          if (xs) wi_qs8_dw_row_fast(3, 1, xr, xrow, c, sw, pl, wb, cp, b0, b1, o0, o1, yrow + c0, scale + c0, &rq);
          else wi_qs8_dw_row_fast(3, 0, xr, xrow, c, sw, pl, wb, cp, b0, b1, o0, o1, yrow + c0, scale + c0, &rq);
        } else {
          if (xs) wi_qs8_dw_row_fast(5, 1, xr, xrow, c, sw, pl, wb, cp, b0, b1, o0, o1, yrow + c0, scale + c0, &rq);
          else wi_qs8_dw_row_fast(5, 0, xr, xrow, c, sw, pl, wb, cp, b0, b1, o0, o1, yrow + c0, scale + c0, &rq);
        }
      }
      for (int32_t ow = 0; ow < ow_n; ow++) {
        const int32_t iw0 = ow * sw - pl;
        uint8_t* yp = yrow + (size_t)ow * c;
        for (size_t c0 = (ow >= o0 && ow < o1) ? c_fast : 0; c0 < c; c0 += 8) {
          const size_t nc = wi_min_size(c - c0, 8);
          v128_t acc0 = wasm_v128_load(bias + c0), acc1 = wasm_v128_load(bias + c0 + 4);
          for (int32_t kh = 0; kh < kh_n; kh++) {
            const int32_t ih = ih0 + kh * dh;
            if (ih < 0 || ih >= h) continue;
            for (int32_t kw = 0; kw < kw_n; kw++) {
              const int32_t iw = iw0 + kw * dw;
              if (iw < 0 || iw >= w) continue;
              const uint8_t* px = xb + ((size_t)ih * (size_t)w + (size_t)iw) * c + c0;
              v128_t v;
              if (nc == 8) {
                v = wasm_v128_load64_zero(px);
              } else {
                uint8_t tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                for (size_t j = 0; j < nc; j++) tmp[j] = px[j];
                v = wasm_v128_load64_zero(tmp);
              }
              v = wasm_i16x8_sub(xs ? wasm_i16x8_extend_low_i8x16(v) : wasm_u16x8_extend_low_u8x16(v), vz);
              const v128_t vw = wasm_v128_load(wt + (size_t)(kh * kw_n + kw) * cp + c0);
              acc0 = wasm_i32x4_add(acc0, wasm_i32x4_extmul_low_i16x8(v, vw));
              acc1 = wasm_i32x4_add(acc1, wasm_i32x4_extmul_high_i16x8(v, vw));
            }
          }
          wi_qs8_store8(yp + c0, acc0, acc1, scale + c0, &rq, nc);
        }
      }
    }
  }
}
