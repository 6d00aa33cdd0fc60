// Bounds of the WebAssembly SIMD kernels (build/kernels/_kernels.so, and the
// relaxed-SIMD build where this engine validates it): the side module
// instantiated on a bare memory, no Pyodide (tests/node/bare_memory.mjs). Their
// results against NumPy inside Pyodide are in tests/node/kernels.test.mjs.
//
// Run: node --test tests/node/kernel_bounds.test.mjs   (after `python3 build.py test` built the kernels)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../tools/pyodide_node.mjs';
import { RELAXED_OK, boundsRun, fillBytes } from './bare_memory.mjs';

const SO = path.join(ROOT, 'build', 'kernels', '_kernels.so');
const RELAXED = path.join(ROOT, 'build', 'kernels', '_kernels_relaxed.wasm');

// ---- bounds: every buffer at the very start and the very end of a bare memory ----
// The side module instantiated directly (no Pyodide), with its own memory: the
// buffer under test is placed at address 0 (so any read before it wraps to
// ~4 GiB) or ending exactly at the end of memory (so any read or write past it
// traps). This catches over-reads whose lanes are discarded, which the NaN
// guards above cannot see.

function fillRandom(memory, addr, n, seed) {
  const f = new Float32Array(memory.buffer, addr, n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; f[i] = s / 2 ** 32 - 0.5; }
}

function setParams(memory, addr, lo, hi) { new Float32Array(memory.buffer, addr, 2).set([lo, hi]); }

test('bounds: gemm reads and writes nothing outside A, B, bias, C (bare memory, traps on overrun)', () => {
  const bytes = readFileSync(SO);
  const dims = [1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17];
  let runs = 0;
  for (const m of dims) for (const n of dims) for (const k of [1, 2, 5]) {
    const [sa, sb, sc] = [k + (m % 2), n + (k % 3), n];
    const sizes = { a: 4 * ((m - 1) * sa + k), b: 4 * ((k - 1) * sb + n), bias: 4 * n, c: 4 * ((m - 1) * sc + n), params: 8 };
    boundsRun(bytes, sizes, (mem, ad) => {
      fillRandom(mem, ad.a, sizes.a / 4, 1); fillRandom(mem, ad.b, sizes.b / 4, 2); fillRandom(mem, ad.bias, n, 3);
      setParams(mem, ad.params, -Infinity, Infinity);
    }, (ex, ad) => ex.f32_gemm_minmax__wasmsimd(m, n, k, ad.a, sa, ad.b, sb, ad.bias, ad.c, sc, ad.params));
    runs++;
  }
  assert.ok(runs > 300);
});

test('bounds: transpose reads and writes nothing outside x, y (bare memory, traps on overrun)', () => {
  const bytes = readFileSync(SO);
  let runs = 0;
  // folded geometries: row copies (xs3 = 1), 4x4 blocks (xs2 = 1) and element loops, around the block edges
  for (const [a, b, c] of [[1, 1, 1], [3, 5, 7], [4, 4, 4], [2, 9, 17], [1, 13, 8], [5, 1, 4], [2, 8, 33]]) {
    const n = a * b * c;
    const geoms = [
      [1, b, a, c, 0, c, b * c, 1, 0, a * c, c, 1],        // [a, b, c] -> [b, a, c]: rows of c
      [1, a, c, b, 0, b * c, 1, c, 0, b * c, b, 1],        // [a, b, c] -> [a, c, b]: 4x4 blocks
      [1, c, b, a, 0, 1, c, b * c, 0, a * b, a, 1],        // [a, b, c] -> [c, b, a]: element loop
    ];
    for (const g of geoms) {
      const sizes = { x: 4 * n, y: 4 * n, geom: 48 };
      boundsRun(bytes, sizes, (mem, ad) => {
        fillRandom(mem, ad.x, n, 5);
        new Int32Array(mem.buffer, ad.geom, 12).set(g);
      }, (ex, ad) => ex.x32_transpose__wasmsimd(ad.x, ad.y, ad.geom));
      runs++;
    }
  }
  assert.equal(runs, 21);
});

test('bounds: byte transpose reads and writes nothing outside x, y (bare memory, traps on overrun)', () => {
  const bytes = readFileSync(SO);
  let runs = 0;
  // folded geometries: row copies, 16x16 blocks, 3 / 4 channels (de)interleaved and element loops, around the edges
  for (const [a, b, c] of [[1, 1, 1], [3, 5, 7], [16, 16, 16], [2, 17, 33], [1, 33, 16], [5, 1, 4], [2, 8, 3], [1, 35, 3], [1, 3, 35], [1, 4, 35]]) {
    const n = a * b * c;
    const geoms = [
      [1, b, a, c, 0, c, b * c, 1, 0, a * c, c, 1],        // [a, b, c] -> [b, a, c]: rows of c
      [1, a, c, b, 0, b * c, 1, c, 0, b * c, b, 1],        // [a, b, c] -> [a, c, b]: blocks or (de)interleaving
      [1, c, b, a, 0, 1, c, b * c, 0, a * b, a, 1],        // [a, b, c] -> [c, b, a]: element loop
    ];
    for (const g of geoms) {
      const sizes = { x: n, y: n, geom: 48 };
      boundsRun(bytes, sizes, (mem, ad) => {
        fillBytes(mem, ad.x, n, 5);
        new Int32Array(mem.buffer, ad.geom, 12).set(g);
      }, (ex, ad) => ex.x8_transpose__wasmsimd(ad.x, ad.y, ad.geom), 4);
      runs++;
    }
  }
  assert.equal(runs, 30);
});

function convBounds(depthwise) {
  const bytes = readFileSync(SO);
  const fn = depthwise ? 'f32_dwconv2d_nchw_minmax__wasmsimd' : 'f32_conv2d_nchw_minmax__wasmsimd';
  let s = 99;
  const rnd = (lo, hi) => { s = (s * 1664525 + 1013904223) >>> 0; return lo + (s % (hi - lo + 1)); };
  const pick = (arr) => arr[rnd(0, arr.length - 1)];
  const cases = [];
  // EfficientNet-Lite0-like and tile-boundary cases, then random ones
  for (const [c, h, w, k, st, p] of [[4, 16, 16, 3, 2, [0, 0, 1, 1]], [4, 28, 28, 5, 2, [1, 1, 2, 2]], [3, 17, 17, 3, 1, [1, 1, 1, 1]],
    [3, 14, 14, 5, 1, [2, 2, 2, 2]], [2, 9, 33, 3, 1, [0, 0, 0, 0]], [2, 8, 24, 3, 2, [0, 0, 0, 0]], [2, 5, 20, 1, 1, [0, 0, 0, 0]],
    [1, 4, 1500, 3, 1, [1, 1, 1, 1]], [1, 6, 2001, 3, 2, [0, 0, 1, 1]], [1, 9, 999, 5, 1, [2, 1, 2, 3]], // fallback path (wide rows)
    [depthwise ? 3 : 116, 5, 9, 3, 1, [1, 1, 1, 1]], [depthwise ? 3 : 40, 9, 30, 3, 2, [1, 0, 1, 2]]]) { // taps > 1024; short bands
    cases.push({ n: 1, c, h, w, m: depthwise ? c : 5, kh: k, kw: k, s: [st, st], p, d: [1, 1], group: depthwise ? c : 1 });
  }
  for (let i = 0; i < 120; i++) {
    const group = depthwise ? 0 : pick([1, 1, 2, 3]);
    const cg = rnd(1, 4), mg = rnd(1, 5);
    const kh = pick([1, 2, 3, 5]), kw = pick([1, 2, 3, 5]);
    const st = [rnd(1, 3), rnd(1, 3)], d = [pick([1, 1, 2]), pick([1, 1, 2])];
    const p = [rnd(0, 2), rnd(0, 2), rnd(0, 2), rnd(0, 2)];
    const h = rnd(Math.max(1, (kh - 1) * d[0] + 1 - p[0] - p[2]), 12);
    const w = rnd(Math.max(1, (kw - 1) * d[1] + 1 - p[1] - p[3]), 40);
    const c = depthwise ? cg : cg * group, m = depthwise ? cg : mg * group;
    cases.push({ n: rnd(1, 2), c, h, w, m, kh, kw, s: st, p, d, group: depthwise ? c : group });
  }
  for (const t of cases) {
    const oh = Math.floor((t.h + t.p[0] + t.p[2] - t.d[0] * (t.kh - 1) - 1) / t.s[0]) + 1;
    const ow = Math.floor((t.w + t.p[1] + t.p[3] - t.d[1] * (t.kw - 1) - 1) / t.s[1]) + 1;
    const shape = [t.n, t.c, t.h, t.w, t.m, t.kh, t.kw, oh, ow, t.group, t.s[0], t.s[1], t.p[0], t.p[1], t.d[0], t.d[1]];
    const sizes = { x: 4 * t.n * t.c * t.h * t.w, w: 4 * t.m * (t.c / t.group) * t.kh * t.kw, bias: 4 * t.m,
      y: 4 * t.n * t.m * oh * ow, shape: 4 * 16, params: 8 };
    boundsRun(bytes, sizes, (mem, ad) => {
      fillRandom(mem, ad.x, sizes.x / 4, 1); fillRandom(mem, ad.w, sizes.w / 4, 2); fillRandom(mem, ad.bias, t.m, 3);
      new Int32Array(mem.buffer, ad.shape, 16).set(shape);
      setParams(mem, ad.params, 0, 6);
    }, (ex, ad) => ex[fn](ad.x, ad.w, ad.bias, ad.y, ad.shape, ad.params));
  }
  return cases.length;
}

test('bounds: conv2d reads and writes nothing outside x, w, bias, y (bare memory)', () => {
  assert.ok(convBounds(false) > 100);
});

test('bounds: dwconv2d reads and writes nothing outside x, w, bias, y (bare memory)', () => {
  assert.ok(convBounds(true) > 100);
});

// ---- bounds for the NHWC kernels (bare memory, both builds where supported) ----

const BARE_BUILDS = RELAXED_OK ? [SO, RELAXED] : [SO];

test('bounds: gemm_4x8 / igemm_4x8 read and write nothing outside A (or x), packed W, C', () => {
  let runs = 0;
  for (const file of BARE_BUILDS) {
    const bytes = readFileSync(file);
    for (const m of [1, 3, 4, 5, 9]) for (const n of [1, 4, 7, 8, 9, 17]) for (const k of [1, 2, 5]) {
      const sa = k + (m % 2), sc = n + (k % 2), panels = Math.ceil(n / 8);
      const sizes = { a: 4 * ((m - 1) * sa + k), w: 4 * panels * (k + 1) * 8, c: 4 * ((m - 1) * sc + n), params: 8 };
      boundsRun(bytes, sizes, (mem, ad) => {
        fillRandom(mem, ad.a, sizes.a / 4, 1); fillRandom(mem, ad.w, sizes.w / 4, 2);
        setParams(mem, ad.params, -Infinity, Infinity);
      }, (ex, ad) => ex.f32_gemm_4x8_minmax__wasmsimd(m, n, k, ad.a, sa, ad.w, ad.c, sc, ad.params));
      // indirect: m output pixels, ks = 3 taps over a 1-D input of m + 2 pixels of kc = k channels, zero-padded
      // ends (indirection entry 0); chunks of mb rows gathered into scratch (exactly min(m, mb) * ks * kc floats)
      const ks = 3, px = m + 2;
      for (const mb of [1, 3, 4, 5, 8]) {
        const isz = { x: 4 * px * k, ind: 4 * m * ks, w: 4 * panels * (ks * k + 1) * 8, c: 4 * m * n,
          scratch: 4 * Math.min(m, mb) * ks * k, params: 8 };
        boundsRun(bytes, isz, (mem, ad) => {
          fillRandom(mem, ad.x, isz.x / 4, 3); fillRandom(mem, ad.w, isz.w / 4, 4);
          const ind = new Uint32Array(mem.buffer, ad.ind, m * ks);
          for (let i = 0; i < m; i++) for (let s = 0; s < ks; s++) {
            const p = i + s - 1; // pad 1 on the left
            ind[i * ks + s] = p < 0 || p >= px ? 0 : ad.x + 4 * p * k;
          }
          setParams(mem, ad.params, 0, 6);
        }, (ex, ad) => ex.f32_igemm_4x8_minmax__wasmsimd(m, n, k, ks, ad.ind, 0, ad.w, ad.c, n, ad.scratch, mb, ad.params));
      }
      runs++;
    }
  }
  assert.ok(runs >= 90);
});

test('bounds: conv2d_nhwc winograd reads and writes nothing outside x, packed w, y, scratch', () => {
  let runs = 0;
  for (const file of BARE_BUILDS) {
    const bytes = readFileSync(file);
    for (const [n, h, w, c, m, p] of [[1, 5, 5, 4, 4, [1, 1, 1, 1]], [1, 3, 3, 8, 12, [0, 0, 0, 0]], [2, 4, 7, 4, 8, [1, 1, 1, 1]],
      [1, 6, 5, 12, 20, [2, 0, 1, 3]], [1, 1, 1, 4, 4, [1, 1, 1, 1]], [1, 7, 6, 8, 16, [0, 2, 2, 0]]]) {
      const oh = h + p[0] + p[2] - 2, ow = w + p[1] + p[3] - 2, total = n * Math.ceil(oh / 2) * Math.ceil(ow / 2);
      for (const tiles of [1, 3, 4, 5, 64]) {
        const nt = Math.min(tiles, total);
        const sizes = { x: 4 * n * h * w * c, w: 4 * (16 * Math.ceil(m / 8) * (c + 1) * 8 + m), y: 4 * n * oh * ow * m,
          shape: 4 * 9, scratch: 4 * 16 * nt * (c + m), params: 8 };
        boundsRun(bytes, sizes, (mem, ad) => {
          fillRandom(mem, ad.x, sizes.x / 4, 1); fillRandom(mem, ad.w, sizes.w / 4, 2);
          new Int32Array(mem.buffer, ad.shape, 9).set([n, h, w, c, m, oh, ow, p[0], p[1]]);
          setParams(mem, ad.params, -Infinity, Infinity);
        }, (ex, ad) => ex.f32_conv2d_nhwc_3x3s1_minmax__wasmsimd_winograd2x2(ad.x, ad.w, ad.y, ad.shape, ad.scratch, tiles, ad.params));
        runs++;
      }
    }
  }
  assert.ok(runs >= 30);
});

test('bounds: dwconv2d_nhwc and pool2d_nhwc read and write nothing outside x, packed w, y', () => {
  let runs = 0;
  for (const file of BARE_BUILDS) {
    const bytes = readFileSync(file);
    for (const c of [1, 3, 4, 5, 8, 13, 16, 17, 20]) for (const [k, s] of [[3, 1], [3, 2], [5, 1], [5, 2], [2, 3]]) for (const [h, w] of [[5, 9], [k, k], [11, 6]]) {
      const p = k >> 1, oh = Math.floor((h + 2 * p - k) / s) + 1, ow = Math.floor((w + 2 * p - k) / s) + 1;
      const cp = (c + 3) & ~3;
      const sizes = { x: 4 * h * w * c, w: 4 * (1 + k * k) * cp, y: 4 * oh * ow * c, shape: 4 * 17, params: 8 };
      boundsRun(bytes, sizes, (mem, ad) => {
        fillRandom(mem, ad.x, sizes.x / 4, 1); fillRandom(mem, ad.w, sizes.w / 4, 2);
        new Int32Array(mem.buffer, ad.shape, 14).set([1, h, w, c, k, k, oh, ow, s, s, p, p, 1, 1]);
        setParams(mem, ad.params, -Infinity, Infinity);
      }, (ex, ad) => ex.f32_dwconv2d_nhwc_minmax__wasmsimd(ad.x, ad.w, ad.y, ad.shape, ad.params));
      const psz = { x: sizes.x, y: sizes.y, shape: 4 * 17, params: 8 };
      for (const kind of [0, 1, 2]) {
        boundsRun(bytes, psz, (mem, ad) => {
          fillRandom(mem, ad.x, psz.x / 4, 1);
          new Int32Array(mem.buffer, ad.shape, 17).set([1, h, w, c, k, k, oh, ow, s, s, p, p, p, p, 1, 1, kind]);
          setParams(mem, ad.params, -Infinity, Infinity);
        }, (ex, ad) => ex.f32_pool2d_nhwc__wasmsimd(ad.x, ad.y, ad.shape, ad.params));
      }
      runs++;
    }
  }
  assert.ok(runs >= 90);
});

test('bounds: unary, binary, global average pool, softmax (log, strided), layer norm and the LSTM cell read and write nothing outside their buffers', () => {
  for (const file of BARE_BUILDS) {
    const bytes = readFileSync(file);
    for (const n of [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 33]) {
      for (const fn of ['f32_vclamp__wasmsimd', 'f32_vhswish__wasmsimd', 'f32_vsigmoid__wasmsimd', 'f32_vsilu__wasmsimd', 'f32_vexp__wasmsimd',
        'f32_verf__wasmsimd', 'f32_vgelu__wasmsimd', 'f32_vgelutanh__wasmsimd']) {
        boundsRun(bytes, { x: 4 * n, y: 4 * n, params: 8 }, (mem, ad) => {
          fillRandom(mem, ad.x, n, 1); setParams(mem, ad.params, -Infinity, Infinity);
        }, (ex, ad) => ex[fn](n, ad.x, ad.y, ad.params));
      }
      // binary: [2, 3, n] with a contiguous and b per-row (strides 0, 1, 0) or per-column (0, 0, 1)
      for (const [bsz, bs] of [[3, [0, 1, 0]], [n, [0, 0, 1]], [1, [0, 0, 0]]]) {
        for (let op = 0; op < 6; op++) {
          boundsRun(bytes, { a: 4 * 6 * n, b: 4 * bsz, y: 4 * 6 * n, shape: 36, params: 8 }, (mem, ad) => {
            fillRandom(mem, ad.a, 6 * n, 1); fillRandom(mem, ad.b, bsz, 2);
            new Int32Array(mem.buffer, ad.shape, 9).set([2, 3, n, 3 * n, n, 1, ...bs]);
            setParams(mem, ad.params, -Infinity, Infinity);
          }, (ex, ad) => ex.f32_vbinary_minmax__wasmsimd(op, ad.a, ad.b, ad.y, ad.shape, ad.params));
        }
      }
      boundsRun(bytes, { x: 4 * 2 * 3 * n, y: 4 * 2 * n, params: 8 }, (mem, ad) => {
        fillRandom(mem, ad.x, 6 * n, 1); setParams(mem, ad.params, -Infinity, Infinity);
      }, (ex, ad) => ex.f32_gavgpool_nhwc_minmax__wasmsimd(2, 3, n, ad.x, ad.y, ad.params));
      boundsRun(bytes, { x: 4 * 2 * n, y: 4 * 2 * n, params: 8 }, (mem, ad) => {
        fillRandom(mem, ad.x, 2 * n, 1);
      }, (ex, ad) => ex.f32_softmax__wasmsimd(2, n, ad.x, ad.y, ad.params));
      // strided: [2, 3, n] over the middle axis, and [2, n, 3]
      for (const [nn, inner] of [[3, n], [n, 3]]) {
        boundsRun(bytes, { x: 4 * 2 * nn * inner, y: 4 * 2 * nn * inner, params: 8 }, (mem, ad) => {
          fillRandom(mem, ad.x, 2 * nn * inner, 1);
        }, (ex, ad) => ex.f32_softmax_strided__wasmsimd(2, nn, inner, ad.x, ad.y, ad.params));
        boundsRun(bytes, { x: 4 * 2 * nn * inner, y: 4 * 2 * nn * inner, params: 8 }, (mem, ad) => {
          fillRandom(mem, ad.x, 2 * nn * inner, 1);
        }, (ex, ad) => ex.f32_logsoftmax_strided__wasmsimd(2, nn, inner, ad.x, ad.y, ad.params));
      }
      boundsRun(bytes, { x: 4 * 2 * n, y: 4 * 2 * n, params: 8 }, (mem, ad) => {
        fillRandom(mem, ad.x, 2 * n, 1);
      }, (ex, ad) => ex.f32_logsoftmax__wasmsimd(2, n, ad.x, ad.y, ad.params));
      boundsRun(bytes, { xw: 4 * 2 * 4 * n, hr: 4 * 2 * 4 * n, c: 4 * 2 * n, h: 4 * 2 * n }, (mem, ad) => {
        fillRandom(mem, ad.xw, 8 * n, 1); fillRandom(mem, ad.hr, 8 * n, 2); fillRandom(mem, ad.c, 2 * n, 3);
      }, (ex, ad) => ex.f32_lstm_cell__wasmsimd(2, n, ad.xw, 4 * n, ad.hr, ad.c, ad.h));
      for (const withVectors of [true, false]) {
        boundsRun(bytes, { x: 4 * 2 * n, g: 4 * n, b: 4 * n, y: 4 * 2 * n, params: 12 }, (mem, ad) => {
          fillRandom(mem, ad.x, 2 * n, 1); fillRandom(mem, ad.g, n, 2); fillRandom(mem, ad.b, n, 3);
          new Float32Array(mem.buffer, ad.params, 3).set([-Infinity, Infinity, 1e-5]);
        }, (ex, ad) => ex.f32_layernorm_minmax__wasmsimd(2, n, ad.x, withVectors ? ad.g : 0, withVectors ? ad.b : 0, ad.y, ad.params));
      }
    }
  }
});
