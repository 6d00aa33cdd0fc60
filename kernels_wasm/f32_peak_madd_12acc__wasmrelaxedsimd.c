/* f32_peak_madd_12acc__wasmrelaxedsimd: the relaxed-SIMD fused multiply-add
 * peak of one core, the denominator of "% of FMA peak" in
 * `python3 build.py bench` (tools/bench_pyodide.py) when the relaxed module
 * (_kernels_relaxed.wasm) is in use. Not used for inference.
 *
 * One iteration is 12 f32x4.relaxed_madd into 12 accumulators,
 * FLOPs = 2 * 4 * 12 * iterations:
 *
 *     acc_i = wasm_f32x4_relaxed_madd(x_i, y, acc_i)
 *
 * x_i is the value acc_i's partner (acc_{i+6 mod 12}) had when the iteration
 * began, so the only chain through acc_i within an iteration is its own FMA;
 * the loop-carried path through the partner is one FMA (~4 cycles), below
 * the ~6 cycles twelve FMAs need on two FMA ports. 12 accumulators + y + 1
 * temporary fit V8's 15 XMM registers (see f32_peak_mul_add_12acc__wasmsimd.c
 * for why the multiplicands are partners and why y is not a constant).
 *
 * The file is compiled into both modules (tools/build_kernels.py builds every
 * source twice): in the SIMD128 module, which has no relaxed_madd, the
 * function returns -1 at once and the benchmark reports no FMA peak.
 */
#include "kernels.h"

WI_EXPORT float f32_peak_madd_12acc__wasmrelaxedsimd(size_t iterations);

#ifdef __wasm_relaxed_simd__

#define WI_PEAK_PAIR_MADD(a, b)                          \
  do {                                                   \
    const v128_t old_a = a;                              \
    a = wasm_f32x4_relaxed_madd(b, y, a);                \
    b = wasm_f32x4_relaxed_madd(old_a, y, b);            \
  } while (0)

WI_EXPORT float f32_peak_madd_12acc__wasmrelaxedsimd(size_t iterations) {
  const float s = 1.0f + (float)(iterations & 1) * 0.5f;
  v128_t a0 = wasm_f32x4_splat(s * 1.0f), a1 = wasm_f32x4_splat(s * 1.1f);
  v128_t a2 = wasm_f32x4_splat(s * 1.2f), a3 = wasm_f32x4_splat(s * 1.3f);
  v128_t a4 = wasm_f32x4_splat(s * 1.4f), a5 = wasm_f32x4_splat(s * 1.5f);
  v128_t a6 = wasm_f32x4_splat(s * 1.6f), a7 = wasm_f32x4_splat(s * 1.7f);
  v128_t a8 = wasm_f32x4_splat(s * 1.8f), a9 = wasm_f32x4_splat(s * 1.9f);
  v128_t a10 = wasm_f32x4_splat(s * 2.0f), a11 = wasm_f32x4_splat(s * 2.1f);
  const v128_t y = wasm_f32x4_splat(0x1p-30f * s);
#pragma clang loop unroll(disable)
  for (size_t i = 0; i < iterations; i++) {
    WI_PEAK_PAIR_MADD(a0, a6);
    WI_PEAK_PAIR_MADD(a1, a7);
    WI_PEAK_PAIR_MADD(a2, a8);
    WI_PEAK_PAIR_MADD(a3, a9);
    WI_PEAK_PAIR_MADD(a4, a10);
    WI_PEAK_PAIR_MADD(a5, a11);
  }
  v128_t t = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3)),
                            wasm_f32x4_add(wasm_f32x4_add(a4, a5), wasm_f32x4_add(a6, a7)));
  t = wasm_f32x4_add(t, wasm_f32x4_add(wasm_f32x4_add(a8, a9), wasm_f32x4_add(a10, a11)));
  return wasm_f32x4_extract_lane(t, 0) + wasm_f32x4_extract_lane(t, 1) +
         wasm_f32x4_extract_lane(t, 2) + wasm_f32x4_extract_lane(t, 3);
}

#else

WI_EXPORT float f32_peak_madd_12acc__wasmrelaxedsimd(size_t iterations) {
  (void)iterations;
  return -1.0f;  /* no relaxed SIMD in this module */
}

#endif
