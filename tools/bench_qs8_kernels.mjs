// Times the int8 conv kernels alone, in a bare WebAssembly memory (no Pyodide),
// at EfficientNet-Lite0's shapes: qs8_igemm_4x8c2__wasmsimd on the model's 1x1
// convs and its 3x3 stem, qs8_dwconv2d_nhwc__wasmsimd on its depthwise convs, in Node or in
// Chromium. With two kernel modules (an older build to compare with), both run
// interleaved (each timing batch alternates between them, best batch kept) and
// their output bytes must be equal. Weights are random, packed in the layout of
// wasm_infer/kernels/qs8.py; correctness is the tests' job (tests/node/qs8.test.mjs).
//
// Usage: node tools/bench_qs8_kernels.mjs [--chromium] [--reps N] [--only igemm|dw] [A.so [B.so]]
//        (default module: build/kernels/_kernels.so)
// Prints, per shape, ms per call and GMAC/s for each module, then the totals
// weighted by how many convs of that shape the model has.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './pyodide_node.mjs';

function benchKernels(modules, opts, log) {
  // [M pixels, K, N, count]: the model's 1x1 convs
  const GEMMS = [[12544, 32, 16, 1], [12544, 16, 96, 1], [3136, 96, 24, 1], [3136, 24, 144, 2], [3136, 144, 24, 1],
    [784, 144, 40, 1], [784, 40, 240, 2], [784, 240, 40, 1], [196, 240, 80, 1], [196, 80, 480, 3],
    [196, 480, 80, 2], [196, 480, 112, 1], [196, 112, 672, 3], [196, 672, 112, 2], [49, 672, 192, 1],
    [49, 192, 1152, 4], [49, 1152, 192, 3], [49, 1152, 320, 1], [49, 320, 1280, 1]];
  // [H = W, C, K, stride, count]: its depthwise convs, pads K / 2
  const DW = [[112, 32, 3, 1, 1], [112, 96, 3, 2, 1], [56, 144, 3, 1, 1], [56, 144, 5, 2, 1], [28, 240, 5, 1, 1],
    [28, 240, 3, 2, 1], [14, 480, 3, 1, 2], [14, 480, 5, 1, 1], [14, 672, 5, 1, 2], [14, 672, 5, 2, 1],
    [7, 1152, 5, 1, 3], [7, 1152, 3, 1, 1]];
  const PAGES = 1024;
  const STACK_TOP = 16 * 65536 - 16;
  const instances = modules.map((bytes) => {
    const memory = new WebAssembly.Memory({ initial: PAGES });
    const env = {
      memory,
      __memory_base: new WebAssembly.Global({ value: 'i32', mutable: false }, 0),
      __table_base: new WebAssembly.Global({ value: 'i32', mutable: false }, 0),
      __stack_pointer: new WebAssembly.Global({ value: 'i32', mutable: true }, STACK_TOP),
      __indirect_function_table: new WebAssembly.Table({ initial: 0, element: 'anyfunc' }),
    };
    const mod = new WebAssembly.Module(bytes);
    const imports = { env: {}, 'GOT.mem': {}, 'GOT.func': {} };
    for (const imp of WebAssembly.Module.imports(mod)) imports[imp.module][imp.name] = env[imp.name];
    return { memory, exports: new WebAssembly.Instance(mod, imports).exports };
  });
  let seed = 1;
  const rnd = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed >>> 8; };
  const PARAMS = [128, 0, 3, 0, 255, 0, 0, 0];   // uint8 in (zero 128), uint8 out (zero 3), full range

  // Sets up one module's buffers; returns [run, outputBytes].
  function setupGemm(inst, [M, K, N]) {
    const buf = inst.memory.buffer;
    let p = 16 * 65536;
    const alloc = (n) => { const a = p; p = (p + n + 63) & ~63; return a; };
    const kk2 = (K + 1) & ~1, panels = Math.ceil(N / 8), panel = 32 + 8 * kk2;
    const x = alloc(M * K), ind = alloc(M * 4), pw = alloc(panels * panel * 2), c = alloc(M * N), params = alloc(32);
    const mb = Math.max(4, Math.min(M, (262144 / kk2) & ~3));   // the binder's chunk (IGEMM_SCRATCH_FLOATS)
    const scratch = alloc(mb * kk2 * 2);
    new Uint8Array(buf, x, M * K).forEach((_, i, a) => { a[i] = rnd() & 255; });
    const iv = new Uint32Array(buf, ind, M);
    for (let i = 0; i < M; i++) iv[i] = x + i * K;
    const w16 = new Int16Array(buf, pw, panels * panel).fill(0);
    for (let pn = 0; pn < panels; pn++) {
      const base = pn * panel;
      const bias = new Int32Array(buf, pw + base * 2, 8), scale = new Float32Array(buf, pw + base * 2 + 32, 8);
      for (let j = 0; j < 8; j++) { bias[j] = (rnd() % 10000) - 5000; scale[j] = (0.5 + (rnd() % 1000) / 666) / (40 * Math.sqrt(K)); }
      // rows of 16 per pair of k: columns 0-3 then 4-7, each column's k and k + 1 adjacent
      for (let k = 0; k < K; k++) for (let j = 0; j < 8 && pn * 8 + j < N; j++) {
        w16[base + 32 + (k >> 1) * 16 + (j >> 2) * 8 + (j & 3) * 2 + (k & 1)] = (rnd() % 255) - 127;
      }
    }
    new Int32Array(buf, params, 8).set(PARAMS);
    const f = inst.exports.qs8_igemm_4x8c2__wasmsimd;
    return [() => f(M, N, K, 1, ind, 0, pw, c, N, scratch, mb, params), () => new Uint8Array(buf, c, M * N).slice()];
  }

  // The stem: a 3x3 stride-2 conv on the HxWx3 image (pads 0 top/left, 1 bottom/right, as the model's),
  // through the indirection buffer (ks = 9 taps of kc = 3 bytes; 0 for a padding tap) as the binder builds it.
  function setupStem(inst, [H, C, K, S, N]) {
    const buf = inst.memory.buffer;
    let p = 16 * 65536;
    const alloc = (n) => { const a = p; p = (p + n + 63) & ~63; return a; };
    const OH = Math.floor((H + 1 - K) / S) + 1, M = OH * OH, T = K * K, kk = T * C, kk2 = (kk + 1) & ~1;
    const panels = Math.ceil(N / 8), panel = 32 + 8 * kk2;
    const x = alloc(H * H * C), ind = alloc(M * T * 4), pw = alloc(panels * panel * 2), c = alloc(M * N), params = alloc(32);
    const mb = Math.max(4, Math.min(M, (262144 / kk2) & ~3));
    const scratch = alloc(mb * kk2 * 2);
    new Uint8Array(buf, x, H * H * C).forEach((_, i, a) => { a[i] = rnd() & 255; });
    const iv = new Uint32Array(buf, ind, M * T);
    for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OH; ox++) for (let t = 0; t < T; t++) {
      const iy = oy * S + Math.floor(t / K), ix = ox * S + (t % K);
      iv[(oy * OH + ox) * T + t] = iy < H && ix < H ? x + (iy * H + ix) * C : 0;
    }
    const w16 = new Int16Array(buf, pw, panels * panel).fill(0);
    for (let pn = 0; pn < panels; pn++) {
      const base = pn * panel;
      const bias = new Int32Array(buf, pw + base * 2, 8), scale = new Float32Array(buf, pw + base * 2 + 32, 8);
      for (let j = 0; j < 8; j++) { bias[j] = (rnd() % 10000) - 5000; scale[j] = (0.5 + (rnd() % 1000) / 666) / (40 * Math.sqrt(kk)); }
      for (let k = 0; k < kk; k++) for (let j = 0; j < 8 && pn * 8 + j < N; j++) {
        w16[base + 32 + (k >> 1) * 16 + (j >> 2) * 8 + (j & 3) * 2 + (k & 1)] = (rnd() % 255) - 127;
      }
    }
    new Int32Array(buf, params, 8).set(PARAMS);
    const f = inst.exports.qs8_igemm_4x8c2__wasmsimd;
    return [() => f(M, N, C, T, ind, 0, pw, c, N, scratch, mb, params), () => new Uint8Array(buf, c, M * N).slice()];
  }

  function setupDw(inst, [H, C, K, S]) {
    const buf = inst.memory.buffer;
    let p = 16 * 65536;
    const alloc = (n) => { const a = p; p = (p + n + 63) & ~63; return a; };
    const pad = (K - 1) >> 1, OH = Math.floor((H + 2 * pad - K) / S) + 1;
    const cp = (C + 7) & ~7, T = K * K, J = (K + 1) >> 1;
    const len = 4 * cp + T * cp + 2 * K * J * cp;
    const x = alloc(H * H * C), y = alloc(OH * OH * C), pw = alloc(len * 2), shape = alloc(64), params = alloc(32);
    new Uint8Array(buf, x, H * H * C).forEach((_, i, a) => { a[i] = rnd() & 255; });
    const bias = new Int32Array(buf, pw, cp), scale = new Float32Array(buf, pw + 4 * cp, cp);
    const w16 = new Int16Array(buf, pw + 8 * cp, T * cp + 2 * K * J * cp).fill(0);
    for (let c = 0; c < C; c++) { bias[c] = (rnd() % 10000) - 5000; scale[c] = (0.5 + (rnd() % 1000) / 666) / (40 * K); }
    for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) {
      const v = (rnd() % 255) - 127, kh = Math.floor(t / K), kw = t % K;
      w16[t * cp + c] = v;                                                  // one row per tap
      w16[T * cp + (kh * J + (kw >> 1)) * 2 * cp + 2 * c + (kw & 1)] = v;   // pairs along each kernel row
    }
    new Int32Array(buf, shape, 14).set([1, H, H, C, K, K, OH, OH, S, S, pad, pad, 1, 1]);
    new Int32Array(buf, params, 8).set(PARAMS);
    const f = inst.exports.qs8_dwconv2d_nhwc__wasmsimd;
    return [() => f(x, pw, y, shape, params), () => new Uint8Array(buf, y, OH * OH * C).slice()];
  }

  function section(title, shapes, setup, macs, label) {
    log(title);
    const totals = modules.map(() => 0);
    for (const shape of shapes) {
      const count = shape[shape.length - 1];
      const runs = [], outs = [];
      for (const inst of instances) {
        seed = 7;   // the same inputs and weights for every module
        const [run, out] = setup(inst, shape);
        run();
        runs.push(run);
        outs.push(out);
      }
      const batch = Math.max(1, Math.ceil(5e7 / macs(shape)));   // ~50 M MACs per timed batch (coarse browser clocks)
      const best = runs.map(() => Infinity);
      for (let r = 0; r < opts.reps; r++) {
        for (let i = 0; i < runs.length; i++) {
          const t0 = performance.now();
          for (let q = 0; q < batch; q++) runs[i]();
          best[i] = Math.min(best[i], (performance.now() - t0) / batch);
        }
      }
      const bytes = outs.map((o) => o());
      for (let i = 1; i < bytes.length; i++) {
        if (bytes[i].some((v, j) => v !== bytes[0][j])) throw new Error(`${label(shape)}: module ${i + 1}'s output bytes differ from module 1's`);
      }
      best.forEach((t, i) => { totals[i] += t * count; });
      log(`  ${label(shape).padEnd(24)} ${best.map((t) => `${t.toFixed(3)} ms ${(macs(shape) / t / 1e6).toFixed(1).padStart(5)} GMAC/s`).join('   ')}`);
    }
    log(`  ${'weighted total'.padEnd(24)} ${totals.map((t) => `${t.toFixed(2)} ms`).join('   ')}`);
  }
  if (opts.only !== 'dw') {
    section('qs8_igemm_4x8c2__wasmsimd, 1x1 convs (M x K x N, count):', GEMMS, setupGemm,
      ([M, K, N]) => M * K * N, ([M, K, N, n]) => `${M}x${K}x${N} (${n})`);
  }
  if (opts.only !== 'dw') {
    section('qs8_igemm_4x8c2__wasmsimd, the 3x3 stride-2 stem (HxW x C, KxK, stride, N, count):', [[224, 3, 3, 2, 32, 1]], setupStem,
      ([H, C, K, S, N]) => Math.pow(Math.floor((H + 1 - K) / S) + 1, 2) * C * K * K * N,
      ([H, C, K, S, N, n]) => `${H}x${H}x${C} ${K}x${K} s${S} -> ${N} (${n})`);
  }
  if (opts.only !== 'igemm') {
    section('qs8_dwconv2d_nhwc__wasmsimd, depthwise (HxW x C, KxK, stride, count):', DW, setupDw,
      ([H, C, K, S]) => Math.pow(Math.floor((H + 2 * ((K - 1) >> 1) - K) / S) + 1, 2) * C * K * K,
      ([H, C, K, S, n]) => `${H}x${H}x${C} ${K}x${K} s${S} (${n})`);
  }
}

const args = process.argv.slice(2);
const flag = (name) => { const i = args.indexOf(name); return i < 0 ? null : args.splice(i, 2)[1]; };
const chromium = args.includes('--chromium');
if (chromium) args.splice(args.indexOf('--chromium'), 1);
const opts = { reps: Number(flag('--reps') ?? 9), only: flag('--only') };
const files = args.length ? args : [path.join(ROOT, 'build', 'kernels', '_kernels.so')];
console.log(`modules: ${files.map((f, i) => `${i + 1} = ${path.relative(process.cwd(), f)}`).join(', ')}; ${chromium ? 'Chromium' : `Node ${process.versions.node}`}`);
if (!chromium) {
  benchKernels(files.map((f) => readFileSync(f)), opts, console.log);
} else {
  const { launchChromium } = await import('./chromium.mjs');
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const lines = await page.evaluate(([code, b64s, o]) => {
      const fn = new Function(`return (${code});`)();
      const out = [];
      fn(b64s.map((s) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0))), o, (line) => out.push(line));
      return out;
    }, [benchKernels.toString(), files.map((f) => readFileSync(f).toString('base64')), opts]);
    console.log(lines.join('\n'));
  } finally {
    await browser.close();
  }
}
