/* The inner loop shared by the int8 GEMMs (qu8_gemm.h, qs8_igemm_4x8c2__wasmsimd):
 * an r x 8 tile of int32 accumulators over kk values of k (kk even), the rows
 * interleaved in a group at pa (each pair as r int32: row 0's two int16, row
 * 1's, ...), the panel's weights at w (per pair, 16 int16: columns 0-3 then 4-7,
 * each column's two k adjacent). Per pair, two weight vectors and, per row, one
 * 32-bit splat and two i32x4.dot_i16x8_s.
 *
 * One pair of k an iteration, and the loop is left to the engine (V8's
 * TurboFan unrolls it itself). The empty asm statement hides the two
 * pointers' induction from clang: without it, loop strength reduction turns
 * every load's constant offset into an i32.add of its own, one x64 lea per
 * load in V8 (Node's 11.3 keeps them), and a loop that clang unrolls is
 * scheduled with all its loads first, which spills in V8 (2026-12-03,
 * docs/PERFORMANCE.md). r is a constant after inlining, so the loop over rows
 * unrolls and the accumulators stay in locals. */
#ifndef WASM_INFER_I16_DOT_TILE_H
#define WASM_INFER_I16_DOT_TILE_H

#include "kernels.h"

WI_INLINE void wi_i16_dot_tile(const size_t r, const int16_t* pa, const int16_t* w, size_t kk,
                               v128_t* acc0, v128_t* acc1) {
  const int16_t* const wend = w + 8 * kk;     /* 16 int16 per pair of k */
#pragma clang loop unroll(disable)
  while (w != wend) {
    __asm__("" : "+r"(pa), "+r"(w));
    const v128_t vb0 = wasm_v128_load(w), vb1 = wasm_v128_load(w + 8);
    for (size_t t = 0; t < r; t++) {
      const v128_t va = wasm_v128_load32_splat(pa + 2 * t);
      acc0[t] = wasm_i32x4_add(acc0[t], wasm_i32x4_dot_i16x8(va, vb0));
      acc1[t] = wasm_i32x4_add(acc1[t], wasm_i32x4_dot_i16x8(va, vb1));
    }
    w += 16;
    pa += 2 * r;
  }
}

#endif
