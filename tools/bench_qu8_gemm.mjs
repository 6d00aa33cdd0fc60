// The uint8 x 8-bit GEMM kernel alone (no Pyodide), at all-MiniLM-L6-v2's
// shapes: 128 tokens times 384x384 (Q, K, V, output projection), 384x1536
// (FFN up) and 1536x384 (FFN down), and 1-5 row products (QGemm heads, the
// LSTM path). Prints the time per call (the best of 5 rounds, each the mean of
// a batch of calls) and GMAC/s, the sum over the model's 36 GEMMs, and the 36
// in sequence with weights of their own (past the caches, as in a model run;
// the best and the median of 15). Several modules are timed in
// alternation in one process, so that their ratios share the machine's load.
// Weights and activations are pseudo-random bytes: the kernel's time does not
// depend on the values.
//
// Run: node tools/bench_qu8_gemm.mjs [--chromium] [module.wasm ...]
//   default module: build/kernels/_kernels.so (Node), build/kernels/_kernels_relaxed.wasm
//   (--chromium: in a page of headless Chromium, as the browser runs it);
//   KERNEL=qu8s8_gemm_4x8c2_i32__wasmsimd for the int32 kernel.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The whole benchmark, self-contained (it also runs in a page): mods [{file, bytes: base64}]. */
async function bench(mods, name) {
  const MIB = 1 << 20;
  // a, w, c and scratch in separate MiB-aligned regions past the 64 KiB C stack
  const STACK = 64 * 1024, A = MIB, W = 2 * MIB, C = 6 * MIB, SCRATCH = 8 * MIB, SCALE = STACK + 64, ZERO = SCALE + 16;
  const W_MODEL = 16 * MIB, layer = [[384, 384], [384, 384], [384, 384], [384, 384], [384, 1536], [1536, 384]];
  const panelBytes = (k, n) => Math.ceil(n / 8) * 2 * (32 + 8 * ((k + 7) & ~7));
  const modelBytes = 6 * layer.reduce((s, [k, n]) => s + panelBytes(k, n), 0);
  const fill = (memory, addr, n, seed) => {    // a fixed LCG
    const b = new Uint8Array(memory.buffer, addr, n);
    let s = seed >>> 0;
    for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; b[i] = s >>> 24; }
  };
  // asynchronous compilation: a page's main thread may not compile more than 4 KiB synchronously
  const instances = await Promise.all(mods.map(async ({ file, bytes }) => {
    const memory = new WebAssembly.Memory({ initial: Math.ceil((W_MODEL + modelBytes) / 65536) + 1 });
    const env = {
      memory,
      __memory_base: new WebAssembly.Global({ value: 'i32', mutable: false }, 0),
      __table_base: new WebAssembly.Global({ value: 'i32', mutable: false }, 0),
      __stack_pointer: new WebAssembly.Global({ value: 'i32', mutable: true }, STACK),
      __indirect_function_table: new WebAssembly.Table({ initial: 0, element: 'anyfunc' }),
    };
    const module = await WebAssembly.compile(Uint8Array.from(atob(bytes), (ch) => ch.charCodeAt(0)));
    const imports = { env: {}, 'GOT.mem': {}, 'GOT.func': {} };
    for (const imp of WebAssembly.Module.imports(module)) imports[imp.module][imp.name] = env[imp.name];
    const f = (await WebAssembly.instantiate(module, imports)).exports[name];
    if (!f) throw new Error(`${file} exports no ${name}`);
    fill(memory, A, MIB, 3);
    fill(memory, W, 4 * MIB, 4);
    fill(memory, W_MODEL, modelBytes, 5);
    new Float32Array(memory.buffer, SCALE, 1)[0] = 0.01;
    new Uint8Array(memory.buffer, ZERO, 1)[0] = 131;
    // one call shape for both kernels: the int32 one takes no a_scale
    const gemm = name.includes('_i32') ? (m, n, k, a, as, sc, z, w, c, cs, s, mb) => f(m, n, k, a, as, z, w, c, cs, s, mb) : f;
    return { file, gemm };
  }));

  // [m, k, n, how many in MiniLM]
  const shapes = [[128, 384, 384, 24], [128, 384, 1536, 6], [128, 1536, 384, 6],
    [1, 384, 1536, 0], [2, 384, 1536, 0], [3, 384, 1536, 0], [4, 384, 1536, 0], [5, 384, 1536, 0]];
  // the mean over a batch of calls: a page's clock has a resolution of 0.1 ms
  const batch = (gemm, [m, k, n], reps) => {
    const kk8 = (k + 7) & ~7, mb = Math.min(m, Math.max(4, Math.floor(262144 / kk8 / 4) * 4));
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) gemm(m, n, k, A, k, SCALE, ZERO, W, C, n, SCRATCH, mb);
    return (performance.now() - t0) / reps;
  };
  const model = (gemm) => {
    const t0 = performance.now();
    let w = W_MODEL;
    for (let l = 0; l < 6; l++) {
      for (const [k, n] of layer) {
        gemm(128, n, k, A, k, SCALE, ZERO, w, C, n, SCRATCH, 128);
        w += panelBytes(k, n);
      }
    }
    return performance.now() - t0;
  };

  for (const { gemm } of instances) for (const s of shapes) batch(gemm, s, 20);   // past the engine's tier-up
  const times = instances.map(() => shapes.map(() => Infinity));
  const runs = instances.map(() => []);
  for (let round = 0; round < 5; round++) {
    instances.forEach(({ gemm }, f) => {
      shapes.forEach((s, i) => { times[f][i] = Math.min(times[f][i], batch(gemm, s, s[0] < 8 ? 200 : 10)); });
      for (let r = 0; r < 3; r++) runs[f].push(model(gemm));
    });
  }
  const lines = [];
  instances.forEach(({ file }, f) => {
    lines.push(`${name} in ${file}`);
    let total = 0;
    shapes.forEach(([m, k, n, count], i) => {
      total += count * times[f][i];
      lines.push(`  m=${m} k=${k} n=${n}: ${times[f][i].toFixed(3)} ms, ${(m * k * n / times[f][i] / 1e6).toFixed(1)} GMAC/s`);
    });
    lines.push(`  MiniLM's 36 GEMMs (128 tokens), the sum of the above: ${total.toFixed(1)} ms`);
    const sorted = runs[f].sort((x, y) => x - y);
    lines.push(`  the same 36 GEMMs in sequence, each with its own weights: best ${sorted[0].toFixed(1)} ms, median ${sorted[sorted.length >> 1].toFixed(1)} ms`);
  });
  return lines.join('\n');
}

const args = process.argv.slice(2);
const inChromium = args[0] === '--chromium';
const files = inChromium ? args.slice(1) : args;
if (!files.length) files.push(path.join(ROOT, 'build', 'kernels', inChromium ? '_kernels_relaxed.wasm' : '_kernels.so'));
const mods = files.map((file) => ({ file: path.relative(ROOT, path.resolve(file)), bytes: readFileSync(file).toString('base64') }));
const name = process.env.KERNEL || 'qu8s8_gemm_4x8c2__wasmsimd';
if (inChromium) {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    console.log(`Chromium ${browser.version()}`);
    console.log(await page.evaluate(([src, m, n]) => (0, eval)(`(${src})`)(m, n), [bench.toString(), mods, name]));
  } finally {
    await browser.close();
  }
} else {
  console.log(`Node ${process.version}`);
  console.log(await bench(mods, name));
}
