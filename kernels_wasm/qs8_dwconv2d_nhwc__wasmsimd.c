/* qs8_dwconv2d_nhwc__wasmsimd: int8 depthwise 2-D convolution, NHWC (the
 * int8 twin of f32_dwconv2d_nhwc_minmax__wasmsimd).
 *
 * x [N, H, W, C] bytes (uint8 or int8), y [N, OH, OW, C] bytes; channel
 * multiplier 1. shape: the int32 array [N, H, W, C, KH, KW, OH, OW, sh, sw,
 * pad_top, pad_left, dh, dw]. packed_w (wasm_infer.kernels.
 * pack_qs8_conv2d_nhwc), Cp = round_up(C, 8): Cp int32 bias, Cp float32
 * scales, then KH * KW rows of Cp int16 weights (tap kh * KW + kw), zero
 * past C, then the same weights by pairs of taps for the fast path:
 * ceil(KH * KW / 2) rows of Cp x 2 int16 (channel c: taps 2p and 2p + 1,
 * zero past the last tap). params: the 8 int32 of qs8_requant.h.
 *
 * Fast path (3x3 and 5x5, dilation 1, any stride; EfficientNet's and
 * MobileNet's depthwise convs), every full block of 8 channels: per output
 * row and block, the block's weights loaded once and the input zero point
 * folded into the bias (bias - x_zero * sum of the taps' weights: the same
 * int32 sum, so the same bytes), so the raw bytes multiply the weights, two
 * taps per i32x4.dot_i16x8_s (wi_qs8_dw_row): per pair of taps and 8
 * channels two loads, a shuffle, two widenings and two dot + add, where a
 * tap at a time takes a widening and two i32x4.extmul (three instructions
 * each on x64) + add. Pixels with every tap inside use fixed offsets; border
 * pixels point their padding taps at 8 bytes of the zero point on the stack
 * (with the folded bias, the padding then contributes nothing).
 *
 * Generic loop (other kernel sizes and dilations, and the last C mod 8
 * channels): per output pixel, 8 channels at a time, for each tap inside
 * the input, 8 input bytes widened to int16 and centred (x - x_zero),
 * multiplied by the tap's 8 weights with i32x4.extmul_{low,high}_i16x8 into
 * two int32 accumulators (exact); taps in the padding contribute nothing,
 * as the centred zero point would. The last C mod 8 channels go through a
 * copy of their bytes so that no load reads past x.
 *
 * Requantization as in qs8_requant.h. Reads only x, packed_w, shape, params
 * and its own stack; writes exactly y.
 */
#include "qs8_requant.h"

/* acc0/acc1 += the pair of taps at pa, pb (8 bytes each) times the pair's
 * weights w0 (channels 0-3) and w1 (4-7): the two taps' bytes interleaved
 * by one shuffle, widened to int16 [x_t, x_t+1] per channel, and one
 * i32x4.dot_i16x8_s per 4 channels (each product at most 255 * 128, a
 * pair's sum fits int32: exact). */
#define WI_QS8_DW_PAIR(pa, pb, w0, w1, is_signed, acc0, acc1) do {                                       \
    const v128_t v_ = wasm_i8x16_shuffle(wasm_v128_load64_zero(pa), wasm_v128_load64_zero(pb),           \
                                         0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);          \
    const v128_t lo_ = (is_signed) ? wasm_i16x8_extend_low_i8x16(v_) : wasm_u16x8_extend_low_u8x16(v_);    \
    const v128_t hi_ = (is_signed) ? wasm_i16x8_extend_high_i8x16(v_) : wasm_u16x8_extend_high_u8x16(v_);  \
    acc0 = wasm_i32x4_add(acc0, wasm_i32x4_dot_i16x8(lo_, w0));                                             \
    acc1 = wasm_i32x4_add(acc1, wasm_i32x4_dot_i16x8(hi_, w1));                                             \
  } while (0)

/* One output row of one 8-channel block (channels c0 .. c0 + 7 of xb, the
 * image), every output pixel: wp points at the block's tap pairs, b0/b1
 * the block's bias with the zero point folded in. Pixels [o0, o1) have
 * every tap inside the input (fixed offsets from the row's first tap);
 * the others (borders) take a pointer per tap, to zbuf (8 bytes of the
 * zero point: what the padding contributes with the folded bias) where
 * the tap falls in the padding. An odd last tap pairs with itself and a
 * zero weight, so its load stays inside the input. */
WI_INLINE void wi_qs8_dw_row(const int32_t K, const int32_t is_signed, const uint8_t* xb, int32_t h, int32_t w,
                             size_t c, size_t c0, int32_t ih0, int32_t sw, int32_t pl, int32_t ow_n,
                             int32_t o0, int32_t o1, const int16_t* wp, size_t cp, v128_t b0, v128_t b1,
                             uint8_t* yr, const float* scale, const wi_qs8_rq* rq, const uint8_t* zbuf) {
  const int32_t taps = K * K, pairs = (taps + 1) / 2;
  const size_t xrow = (size_t)w * c;
  size_t off[26];
  for (int32_t t = 0; t < taps; t++) off[t] = (size_t)(t / K) * xrow + (size_t)(t % K) * c;
  off[taps] = off[taps - 1];
  v128_t wv[26];
  for (int32_t p = 0; p < pairs; p++) {
    wv[2 * p] = wasm_v128_load(wp + (size_t)p * 2 * cp);
    wv[2 * p + 1] = wasm_v128_load(wp + (size_t)p * 2 * cp + 8);
  }
  for (int32_t ow = 0; ow < ow_n; ow++) {
    v128_t acc0 = b0, acc1 = b1;
    if (ow >= o0 && ow < o1) {
      const uint8_t* px = xb + (size_t)ih0 * xrow + (size_t)(ow * sw - pl) * c + c0;
      for (int32_t p = 0; p < pairs; p++)
        WI_QS8_DW_PAIR(px + off[2 * p], px + off[2 * p + 1], wv[2 * p], wv[2 * p + 1], is_signed, acc0, acc1);
    } else {
      const uint8_t* tp[26];
      const int32_t iw0 = ow * sw - pl;
      for (int32_t t = 0; t < taps; t++) {
        const int32_t ih = ih0 + t / K, iw = iw0 + t % K;
        tp[t] = ih >= 0 && ih < h && iw >= 0 && iw < w ? xb + ((size_t)ih * (size_t)w + (size_t)iw) * c + c0 : zbuf;
      }
      tp[taps] = tp[taps - 1];
      for (int32_t p = 0; p < pairs; p++)
        WI_QS8_DW_PAIR(tp[2 * p], tp[2 * p + 1], wv[2 * p], wv[2 * p + 1], is_signed, acc0, acc1);
    }
    wi_qs8_store8(yr + (size_t)ow * c + c0, acc0, acc1, scale, rq, 8);
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
  const int16_t* wpairs = wt + (size_t)kh_n * (size_t)kw_n * cp;
  const int32_t xs = params[WI_QS8_X_SIGNED];
  const v128_t vz = wasm_i16x8_splat((int16_t)params[WI_QS8_X_ZERO]);
  const wi_qs8_rq rq = wi_qs8_rq_make(params);
  const v128_t vzx = wasm_i32x4_splat(params[WI_QS8_X_ZERO]);
  const int32_t fast_k = kh_n == kw_n && (kh_n == 3 || kh_n == 5) && dh == 1 && dw == 1;
  uint8_t zbuf[8];
  for (int32_t i = 0; i < 8; i++) zbuf[i] = (uint8_t)params[WI_QS8_X_ZERO];
  for (int32_t b = 0; b < n_; b++) {
    const uint8_t* xb = x + (size_t)b * (size_t)h * (size_t)w * c;
    for (int32_t oh = 0; oh < oh_n; oh++) {
      const int32_t ih0 = oh * sh - pt;
      /* 3x3 / 5x5: every full 8-channel block of the row; [o0, o1) the pixels with every tap inside */
      int32_t o0 = 0, o1 = 0;
      const size_t c_fast = fast_k ? c & ~(size_t)7 : 0;
      if (fast_k && ih0 >= 0 && ih0 + kh_n <= h) {
        o0 = (pl + sw - 1) / sw;
        o1 = w - kw_n + pl >= 0 ? (w - kw_n + pl) / sw + 1 : 0;
        if (o1 > ow_n) o1 = ow_n;
      }
      uint8_t* yrow = y + ((size_t)b * (size_t)oh_n + (size_t)oh) * (size_t)ow_n * c;
      for (size_t c0 = 0; c0 < c_fast; c0 += 8) {
        const int16_t* wb = wt + c0;
        const int16_t* wq = wpairs + 2 * c0;
        v128_t s0 = wasm_i32x4_const_splat(0), s1 = wasm_i32x4_const_splat(0);
        for (int32_t t = 0; t < kh_n * kw_n; t++) {
          const v128_t vw = wasm_v128_load(wb + (size_t)t * cp);
          s0 = wasm_i32x4_add(s0, wasm_i32x4_extend_low_i16x8(vw));
          s1 = wasm_i32x4_add(s1, wasm_i32x4_extend_high_i16x8(vw));
        }
        const v128_t b0 = wasm_i32x4_sub(wasm_v128_load(bias + c0), wasm_i32x4_mul(s0, vzx));
        const v128_t b1 = wasm_i32x4_sub(wasm_v128_load(bias + c0 + 4), wasm_i32x4_mul(s1, vzx));
        if (kh_n == 3) {
          if (xs) wi_qs8_dw_row(3, 1, xb, h, w, c, c0, ih0, sw, pl, ow_n, o0, o1, wq, cp, b0, b1, yrow, scale + c0, &rq, zbuf);
          else wi_qs8_dw_row(3, 0, xb, h, w, c, c0, ih0, sw, pl, ow_n, o0, o1, wq, cp, b0, b1, yrow, scale + c0, &rq, zbuf);
        } else {
          if (xs) wi_qs8_dw_row(5, 1, xb, h, w, c, c0, ih0, sw, pl, ow_n, o0, o1, wq, cp, b0, b1, yrow, scale + c0, &rq, zbuf);
          else wi_qs8_dw_row(5, 0, xb, h, w, c, c0, ih0, sw, pl, ow_n, o0, o1, wq, cp, b0, b1, yrow, scale + c0, &rq, zbuf);
        }
      }
      for (int32_t ow = 0; ow < ow_n; ow++) {
        const int32_t iw0 = ow * sw - pl;
        uint8_t* yp = yrow + (size_t)ow * c;
        for (size_t c0 = c_fast; c0 < c; c0 += 8) {
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
