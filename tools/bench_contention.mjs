// What slows a serving worker down on this machine (docs/PERFORMANCE.md, Hot
// swap): EfficientNet-Lite0 requests one after another through the JS shim in
// headless Chromium, for 3 s each, while 0, 1 or 2 other workers burn CPU, or
// one copies 128 MB arrays back and forth (memory bandwidth). Prints p50/p90/
// p99/max of the graph run inside the worker (run_ms) and of the whole request.
//
//   node tools/bench_contention.mjs [--chromium PATH]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stage, percentile } from './bench_swap.mjs';
import { startServer } from './serve.mjs';
import { launchChromium } from './chromium.mjs';

const args = process.argv.slice(2);
const executablePath = (args.includes('--chromium') && args[args.indexOf('--chromium') + 1]) || process.env.CHROMIUM;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = stage({ stageDir: 'bench_contention', model: path.join(ROOT, 'build', 'models', 'efficientnet_lite0.onnx'), web: path.join(ROOT, 'web') });
writeFileSync(`${dir}/burn.js`, `onmessage = (e) => {
  const t = performance.now();
  if (e.data === 'cpu') { let x = 0; while (performance.now() - t < 4000) for (let i = 0; i < 1e5; i++) x += Math.sqrt(i); postMessage(x); return; }
  const a = new Float64Array(16 << 20); const b = new Float64Array(16 << 20);
  while (performance.now() - t < 4000) { b.set(a); a.set(b); }
  postMessage(0);
};`);
writeFileSync(`${dir}/contention.html`, `<!doctype html><meta charset="utf-8"><script type="module">
import { WasmInfer } from './wasm_infer.js';
window.start = async () => { window.rt = await WasmInfer.init(); window.session = await window.rt.load('models/model.onnx'); };
window.measure = async (kind, n) => {
  const s = window.session; const input = s.inputs[0];
  const dims = input.dims.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  const feeds = { [input.name]: { data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims } };
  const done = [];
  for (let i = 0; i < n; i++) { const w = new Worker('burn.js'); done.push(new Promise((r) => { w.onmessage = () => { w.terminate(); r(); }; })); w.postMessage(kind); }
  await new Promise((r) => setTimeout(r, 200));
  const run = []; const total = []; const t = performance.now();
  while (performance.now() - t < 3000) { const t0 = performance.now(); const { timings } = await s.run(feeds); total.push(performance.now() - t0); run.push(timings.run_ms); }
  await Promise.all(done);
  return { run, total };
};
</script>`);
const server = await startServer(dir);
const browser = await launchChromium(executablePath || undefined);
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}contention.html`);
  await page.evaluate(() => window.start());
  const f = (xs) => ['p50', 'p90', 'p99'].map((k, i) => `${k} ${percentile(xs, [0.5, 0.9, 0.99][i]).toFixed(1)}`).join(' ') + ` max ${Math.max(...xs).toFixed(1)}`;
  for (const [kind, n, what] of [['cpu', 0, 'alone'], ['cpu', 1, '1 CPU-bound worker'], ['cpu', 2, '2 CPU-bound workers'], ['mem', 1, '1 memory-copying worker'], ['cpu', 0, 'alone again']]) {
    const { run, total } = await page.evaluate(([k, m]) => window.measure(k, m), [kind, n]);
    console.log(`${what.padEnd(24)} n=${String(run.length).padStart(3)}  run_ms ${f(run)}  |  request ms ${f(total)}`);
  }
} finally {
  await browser.close();
  server.stop();
}
