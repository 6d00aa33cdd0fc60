/* f32_peak_mul_add_12acc__wasmsimd: the SIMD128 multiply + add peak of one
 * core, as the engine compiles it: the denominator of "% of peak" in
 * `python3 build.py bench` (tools/bench_pyodide.py). Not used for inference.
 *
 * One iteration is 12 f32x4 multiplies and 12 f32x4 adds into 12
 * accumulators, FLOPs = 2 * 4 * 12 * iterations:
 *
 *     acc_i = wasm_f32x4_add(acc_i, wasm_f32x4_mul(x_i, y))
 *
 * with x_i * y never depending on acc_i within the loop trip: the only chain
 * through acc_i is its own add. The loop body runs two iterations. In the
 * first, x_i is the value acc_i's partner (acc_{i+6 mod 12}) had when the
 * trip began; in the second, x_i is the first iteration's product, so
 * acc_i += p + p * y with p = partner * y.
 *
 * Why this shape (measured in Node 20 / V8 11.3, Node 26 / V8 14.6 and
 * Chromium 150 on 2-core x86-64 machines):
 *  - twelve constant x_i: clang hoists the constant products x_i * y out of
 *    the loop (only the adds would remain);
 *  - twelve loaded x_i: V8 11.3 hoists the loads to the top of the body and
 *    spills (12 accumulators + 12 values > the 15 XMM registers V8
 *    allocates), and V8 14.6 adds an address computation per load (~10% low);
 *  - one partner product per trip (acc_i += partner * y): the loop-carried
 *    path partner -> mul -> add -> acc_i is about as long as the ~8 cycles
 *    the 24 operations need, and it measured 4-10% below this version;
 *  - here the loop keeps 12 accumulators + y + 2 temporaries (15 registers)
 *    and compiles to 24 vmulps + 24 vaddps per trip with no spills in the
 *    loop; it matched or beat an 8-accumulator 4x8 GEMM tile running from L1
 *    in all three engines.
 * y = 2^-30 * s is not a compile-time constant (V8 14.6 rematerialises a
 * constant splat in every unrolled copy of the loop, two extra vector
 * instructions), keeps every value normal (no denormal slow path) and the
 * sums bounded. The initial values come from `iterations`, so clang cannot
 * evaluate the loop at compile time, and the sum is returned so it cannot be
 * dropped.
 */
#include "kernels.h"

WI_EXPORT float f32_peak_mul_add_12acc__wasmsimd(size_t iterations);

/* One iteration for the pair (a, b): both products from the old values. */
#define WI_PEAK_PAIR(a, b)                                \
  do {                                                    \
    const v128_t pa = wasm_f32x4_mul(b, y);               \
    const v128_t pb = wasm_f32x4_mul(a, y);               \
    a = wasm_f32x4_add(a, pa);                            \
    b = wasm_f32x4_add(b, pb);                            \
  } while (0)

/* Two iterations for the pair (a, b): the second multiplies the first's products. */
#define WI_PEAK_PAIR2(a, b)                               \
  do {                                                    \
    v128_t pa = wasm_f32x4_mul(b, y);                     \
    v128_t pb = wasm_f32x4_mul(a, y);                     \
    a = wasm_f32x4_add(a, pa);                            \
    b = wasm_f32x4_add(b, pb);                            \
    pa = wasm_f32x4_mul(pa, y);                           \
    pb = wasm_f32x4_mul(pb, y);                           \
    a = wasm_f32x4_add(a, pa);                            \
    b = wasm_f32x4_add(b, pb);                            \
  } while (0)

WI_EXPORT float f32_peak_mul_add_12acc__wasmsimd(size_t iterations) {
  const float s = 1.0f + (float)(iterations & 1) * 0.5f;
  v128_t a0 = wasm_f32x4_splat(s * 1.0f), a1 = wasm_f32x4_splat(s * 1.1f);
  v128_t a2 = wasm_f32x4_splat(s * 1.2f), a3 = wasm_f32x4_splat(s * 1.3f);
  v128_t a4 = wasm_f32x4_splat(s * 1.4f), a5 = wasm_f32x4_splat(s * 1.5f);
  v128_t a6 = wasm_f32x4_splat(s * 1.6f), a7 = wasm_f32x4_splat(s * 1.7f);
  v128_t a8 = wasm_f32x4_splat(s * 1.8f), a9 = wasm_f32x4_splat(s * 1.9f);
  v128_t a10 = wasm_f32x4_splat(s * 2.0f), a11 = wasm_f32x4_splat(s * 2.1f);
  const v128_t y = wasm_f32x4_splat(0x1p-30f * s);
  const size_t trips = iterations / 2;
#pragma clang loop unroll(disable)
  for (size_t i = 0; i < trips; i++) {
    WI_PEAK_PAIR2(a0, a6);
    WI_PEAK_PAIR2(a1, a7);
    WI_PEAK_PAIR2(a2, a8);
    WI_PEAK_PAIR2(a3, a9);
    WI_PEAK_PAIR2(a4, a10);
    WI_PEAK_PAIR2(a5, a11);
  }
  if (iterations & 1) {
    WI_PEAK_PAIR(a0, a6);
    WI_PEAK_PAIR(a1, a7);
    WI_PEAK_PAIR(a2, a8);
    WI_PEAK_PAIR(a3, a9);
    WI_PEAK_PAIR(a4, a10);
    WI_PEAK_PAIR(a5, a11);
  }
  v128_t t = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3)),
                            wasm_f32x4_add(wasm_f32x4_add(a4, a5), wasm_f32x4_add(a6, a7)));
  t = wasm_f32x4_add(t, wasm_f32x4_add(wasm_f32x4_add(a8, a9), wasm_f32x4_add(a10, a11)));
  return wasm_f32x4_extract_lane(t, 0) + wasm_f32x4_extract_lane(t, 1) +
         wasm_f32x4_extract_lane(t, 2) + wasm_f32x4_extract_lane(t, 3);
}
