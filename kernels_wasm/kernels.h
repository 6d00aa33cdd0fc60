/* wasm_infer kernels: shared declarations and tiny freestanding helpers.
 *
 * ABI (wasm32: size_t, int32_t and pointers are 32-bit):
 *   - pointers are byte addresses in the wasm heap (numpy's arr.ctypes.data);
 *   - strides are in elements, never bytes;
 *   - `params` points to a wi_minmax_params {min, max}: the output is clamped
 *     to [min, max] after bias (ReLU = {0, +inf}, ReLU6/Clip = {lo, hi},
 *     no activation = {-inf, +inf}); NaN propagates;
 *   - a bias pointer may be 0 (no bias).
 * Kernels never allocate, never read or write outside the elements the
 * documented shapes describe (no over-reads), and see no graph.
 * Python (wasm_infer/kernels/) validates every size before a call.
 *
 * Build: tools/build_kernels.py (clang from PyPI `ziglang`,
 * --target=wasm32-freestanding -msimd128 -fPIC -shared -nostdlib
 * -fvisibility=hidden); only WI_EXPORT functions are exported.
 */
#ifndef WASM_INFER_KERNELS_H
#define WASM_INFER_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

#define WI_EXPORT __attribute__((visibility("default")))
#define WI_HIDDEN __attribute__((visibility("hidden")))
#define WI_INLINE static inline __attribute__((always_inline))

#define WI_KERNELS_ABI_VERSION 3

typedef struct wi_minmax_params {
  float min;
  float max;
} wi_minmax_params;

/* Index of each field of the int32 `shape` array taken by the conv kernels. */
enum {
  WI_CONV_N, WI_CONV_C, WI_CONV_H, WI_CONV_W,
  WI_CONV_M, WI_CONV_KH, WI_CONV_KW, WI_CONV_OH, WI_CONV_OW,
  WI_CONV_GROUP, WI_CONV_STRIDE_H, WI_CONV_STRIDE_W,
  WI_CONV_PAD_TOP, WI_CONV_PAD_LEFT, WI_CONV_DILATION_H, WI_CONV_DILATION_W,
  WI_CONV_SHAPE_LEN
};

/* ---- exported kernels ---------------------------------------------------- */

WI_EXPORT int32_t wasm_infer_kernels_abi_version(void);

/* C[m x n] = clamp(A[m x k] @ B[k x n] + bias_n[n]); row-major, row strides
 * a_stride/b_stride/c_stride in elements; bias_n may be 0. */
WI_EXPORT void f32_gemm_minmax__wasmsimd(
    size_t m, size_t n, size_t k,
    const float* a, size_t a_stride,
    const float* b, size_t b_stride,
    const float* bias_n,
    float* c, size_t c_stride,
    const float* params);

/* Grouped 2-D convolution, NCHW, ONNX weight layout [M, C/group, KH, KW],
 * y [N, M, OH, OW]; zero padding (pad bottom/right implied by OH/OW). */
WI_EXPORT void f32_conv2d_nchw_minmax__wasmsimd(
    const float* x, const float* w, const float* bias, float* y,
    const int32_t* shape, const float* params);

/* Depthwise 2-D convolution (group == C == M), NCHW, weights [C, 1, KH, KW]. */
WI_EXPORT void f32_dwconv2d_nchw_minmax__wasmsimd(
    const float* x, const float* w, const float* bias, float* y,
    const int32_t* shape, const float* params);

/* ---- internal (hidden) --------------------------------------------------- */

/* The GEMM driver behind f32_gemm_minmax__wasmsimd, with an optional bias per
 * row (bias_m, length m) as well as per column (bias_n, length n); the 1x1
 * convolution fast path uses the per-row bias. */
WI_HIDDEN void wi_f32_gemm_minmax(
    size_t m, size_t n, size_t k,
    const float* a, size_t a_stride,
    const float* b, size_t b_stride,
    const float* bias_n, const float* bias_m,
    float* c, size_t c_stride,
    const wi_minmax_params* params);

/* ---- helpers ------------------------------------------------------------- */

/* Clamp keeping NaN: pmax(a, b) = a < b ? b : a, pmin(a, b) = b < a ? b : a,
 * each one instruction in V8 (unlike f32x4.min/max). */
WI_INLINE v128_t wi_clamp(v128_t v, v128_t vmin, v128_t vmax) {
  return wasm_f32x4_pmin(wasm_f32x4_pmax(v, vmin), vmax);
}

/* acc + a * b: two instructions with SIMD128; one fused f32x4.relaxed_madd in
 * the relaxed-SIMD build (tools/build_kernels.py --relaxed). */
WI_INLINE v128_t wi_madd(v128_t acc, v128_t a, v128_t b) {
#ifdef __wasm_relaxed_simd__
  return wasm_f32x4_relaxed_madd(a, b, acc);
#else
  return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b));
#endif
}

WI_INLINE float wi_clampf(float v, float lo, float hi) {
  v = v < lo ? lo : v;
  return hi < v ? hi : v;
}

/* Load the first `lanes` (1..4) floats of p, zero the rest; never reads past
 * p[lanes - 1]. `lanes` is a compile-time constant at every call site. */
WI_INLINE v128_t wi_load_partial(const float* p, size_t lanes) {
  switch (lanes) {
    case 1: return wasm_v128_load32_zero(p);
    case 2: return wasm_v128_load64_zero(p);
    case 3: return wasm_v128_load32_lane(p + 2, wasm_v128_load64_zero(p), 2);
    default: return wasm_v128_load(p);
  }
}

/* Store the first `lanes` (1..4) lanes of v to p; never writes past p[lanes - 1]. */
WI_INLINE void wi_store_partial(float* p, v128_t v, size_t lanes) {
  switch (lanes) {
    case 1: wasm_v128_store32_lane(p, v, 0); break;
    case 2: wasm_v128_store64_lane(p, v, 0); break;
    case 3: wasm_v128_store64_lane(p, v, 0); wasm_v128_store32_lane(p + 2, v, 2); break;
    default: wasm_v128_store(p, v); break;
  }
}

WI_INLINE size_t wi_min_size(size_t a, size_t b) { return a < b ? a : b; }

/* Four input columns r[0], r[s], r[2s], r[3s] for 4 adjacent outputs of a
 * convolution with column stride s. SW is a compile-time 1 or 2 (contiguous
 * loads; stride 2 deinterleaves r[0..3] and r[3..6], so it never reads past
 * r[6]) or 0 (runtime stride `s`, gathered). Reads only r[0 .. 3s]. */
WI_INLINE v128_t wi_load_x4(const float* r, const int32_t SW, int32_t s) {
  if (SW == 1) return wasm_v128_load(r);
  if (SW == 2) return wasm_i32x4_shuffle(wasm_v128_load(r), wasm_v128_load(r + 3), 0, 2, 5, 7);
  return wasm_f32x4_make(r[0], r[s], r[2 * s], r[3 * s]);
}

/* Zero n floats / copy n floats (no libc: these are the only "memset/memcpy";
 * built with -fno-builtin so clang does not turn them back into libc calls). */
WI_INLINE void wi_zero(float* dst, size_t n) {
  const v128_t z = wasm_f32x4_const_splat(0.0f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, z);
  for (; i < n; i++) dst[i] = 0.0f;
}

WI_INLINE void wi_copy(float* dst, const float* src, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  for (; i < n; i++) dst[i] = src[i];
}

/* Stack tiles used by the conv kernels: a zero-padded copy of a band of input
 * rows, so the vector loops run with no bounds checks. At most 36 KiB of
 * stack in all (Pyodide's C stack is 5 MiB in 0.27, 10 MiB in 314). */
#define WI_CONV_TILE_FLOATS 4096   /* depthwise: one channel (16 KiB) */
#define WI_CONV_GTILE_FLOATS 8192  /* general conv: Cg channels (32 KiB) */
#define WI_CONV_MAX_TAPS 1024      /* general conv: Cg*KH*KW offsets (4 KiB) */

/* Fill rows_n rows of width wp at dst with input rows ih0, ih0 + 1, ... of the
 * plane xc [h x w], shifted right by pl columns, zero outside the input.
 * Reads only xc[0 .. h*w). */
WI_INLINE void wi_fill_padded_rows(float* dst, int32_t wp, int32_t rows_n, const float* xc,
                                   int32_t h, int32_t w, int32_t ih0, int32_t pl) {
  int32_t copy_n = wp - pl < w ? wp - pl : w; /* input columns that land in the row */
  if (copy_n < 0) copy_n = 0;
  const int32_t left = pl < wp ? pl : wp;
  for (int32_t r = 0; r < rows_n; r++, dst += wp) {
    const int32_t ih = ih0 + r;
    if ((uint32_t)ih >= (uint32_t)h || copy_n == 0) {
      wi_zero(dst, (size_t)wp);
      continue;
    }
    wi_zero(dst, (size_t)left);
    wi_copy(dst + left, xc + (size_t)ih * w, (size_t)copy_n);
    wi_zero(dst + left + copy_n, (size_t)(wp - left - copy_n));
  }
}

/* Output columns [*lo, *hi) whose every tap ow*sw - pad + kw*dw (kw < kw_n)
 * lies inside [0, w): there the conv kernels load input without bounds checks. */
WI_INLINE void wi_conv_interior(int32_t ow_n, int32_t w, int32_t kw_n, int32_t sw,
                                int32_t pad, int32_t dw, int32_t* lo, int32_t* hi) {
  const int32_t first = (pad + sw - 1) / sw;             /* ow*sw >= pad */
  const int32_t room = w - 1 + pad - (kw_n - 1) * dw;    /* ow*sw <= room */
  int32_t last = room < 0 ? -1 : room / sw;
  if (last > ow_n - 1) last = ow_n - 1;
  *lo = first < ow_n ? first : ow_n;
  *hi = last + 1 > *lo ? last + 1 : *lo;
}

/* exp(x) for 4 lanes: x = n ln2 + r (|r| <= ln2 / 2, n = nearest(x / ln2),
 * ln2 split hi + lo), exp(r) by a degree-6 Taylor polynomial (relative error
 * < 2e-7), 2^n applied in two halves so every scale factor is a normal float
 * (results down to the denormals are right). x > 88.7228 gives +inf, x <
 * -103.28 gives 0, NaN stays NaN. */
WI_INLINE v128_t wi_exp(v128_t x) {
  const v128_t big = wasm_f32x4_const_splat(88.72283935546875f);
  const v128_t xc = wi_clamp(x, wasm_f32x4_const_splat(-103.97f), big);
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(xc, wasm_f32x4_const_splat(1.44269502162933349609375f)));
  v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, wasm_f32x4_const_splat(0.693145751953125f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_const_splat(1.428606765330187e-06f)));
  v128_t p = wasm_f32x4_const_splat(1.0f / 720.0f);
  p = wi_madd(wasm_f32x4_const_splat(1.0f / 120.0f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(1.0f / 24.0f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(1.0f / 6.0f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(0.5f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(1.0f), p, r);
  p = wi_madd(wasm_f32x4_const_splat(1.0f), p, r);
  const v128_t ni = wasm_i32x4_trunc_sat_f32x4(n);
  const v128_t n1 = wasm_i32x4_shr(ni, 1), n2 = wasm_i32x4_sub(ni, n1);
  const v128_t bias = wasm_i32x4_const_splat(127);
  const v128_t s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, bias), 23);
  const v128_t s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, bias), 23);
  p = wasm_f32x4_mul(wasm_f32x4_mul(p, s1), s2);
  p = wasm_v128_andnot(p, wasm_f32x4_lt(x, wasm_f32x4_const_splat(-103.28f))); /* below 2^-149 / 2 */
  return wasm_v128_bitselect(wasm_f32x4_const_splat(__builtin_inff()), p, wasm_f32x4_gt(x, big));
}

/* 1 / (1 + exp(-x)) without overflow: z = exp(-|x|), x < 0 ? z / (1 + z) : 1 / (1 + z). */
WI_INLINE v128_t wi_sigmoid(v128_t x) {
  const v128_t z = wi_exp(wasm_f32x4_neg(wasm_f32x4_abs(x)));
  const v128_t one = wasm_f32x4_const_splat(1.0f);
  const v128_t num = wasm_v128_bitselect(z, one, wasm_f32x4_lt(x, wasm_f32x4_const_splat(0.0f)));
  return wasm_f32x4_div(num, wasm_f32x4_add(one, z));
}

/* y[i] = F(x[i]) for i < n, F a v128_t -> v128_t function; x may equal y.
 * The last n % 4 elements go through partial loads and stores (no over-read). */
#define WI_MAP_UNARY(n, x, y, F)                                          \
  do {                                                                    \
    size_t i_ = 0;                                                        \
    for (; i_ + 16 <= (n); i_ += 16) {                                    \
      const v128_t v0_ = wasm_v128_load((x) + i_);                        \
      const v128_t v1_ = wasm_v128_load((x) + i_ + 4);                    \
      const v128_t v2_ = wasm_v128_load((x) + i_ + 8);                    \
      const v128_t v3_ = wasm_v128_load((x) + i_ + 12);                   \
      wasm_v128_store((y) + i_, F(v0_));                                  \
      wasm_v128_store((y) + i_ + 4, F(v1_));                              \
      wasm_v128_store((y) + i_ + 8, F(v2_));                              \
      wasm_v128_store((y) + i_ + 12, F(v3_));                             \
    }                                                                     \
    for (; i_ + 4 <= (n); i_ += 4)                                        \
      wasm_v128_store((y) + i_, F(wasm_v128_load((x) + i_)));             \
    if (i_ < (n))                                                         \
      wi_store_partial((y) + i_, F(wi_load_partial((x) + i_, (n) - i_)), (n) - i_); \
  } while (0)

#endif /* WASM_INFER_KERNELS_H */
