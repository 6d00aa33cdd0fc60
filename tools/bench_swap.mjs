// Hot-swap benchmark (issue 7): requests flow continuously through the JS
// shim (web/wasm_infer.js) while `rt.swap(session, model)` starts a second
// worker, loads and warms the new model there and switches over. Reports
// p50/p99 of request latency (as the page sees it, postMessage included)
// before, during and after the swap, and failed requests.
//
//   node tools/bench_swap.mjs [--model build/models/efficientnet_lite0.onnx] [--steady 150]
//                             [--after 60] [--json] [--chromium PATH]
//
// Runs in Debian's headless Chromium (playwright-core), where the shim's Web
// Workers are real: the page is served by tools/serve.py from build/bench_swap/,
// which links the offline Pyodide, the built wheel, the model and the shim's
// sources from web/ (so the benchmark always measures the current shim).
// Target: p99 during the swap <= 1.25 x steady-state p99, zero failures.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = path.join(ROOT, 'build');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const model = path.resolve(opt('--model', path.join(BUILD, 'models', 'efficientnet_lite0.onnx')));
const steady = Number(opt('--steady', 150));
const after = Number(opt('--after', 60));
const asJSON = args.includes('--json');
const standby = args.includes('--standby');   // start the second worker before the requests (rt.prepareSwap())
const log = (msg) => process.stderr.write(`[bench_swap] ${msg}\n`);

function stage() {
  const dir = path.join(BUILD, 'bench_swap');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'wheels'), { recursive: true });
  mkdirSync(path.join(dir, 'models'), { recursive: true });
  const need = (p, what) => { if (!existsSync(p)) throw new Error(`${what} missing (${path.relative(ROOT, p)}): run \`python3 build.py setup\``); return p; };
  symlinkSync(need(path.join(BUILD, 'pyodide'), 'the offline Pyodide'), path.join(dir, 'pyodide'));
  const wheel = readdirSync(need(path.join(BUILD, 'dist'), 'the wheel')).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Error('the wheel is missing (build/dist/*.whl): run `python3 build.py setup`');
  symlinkSync(path.join(BUILD, 'dist', wheel), path.join(dir, 'wheels', wheel));
  symlinkSync(need(model, 'the model'), path.join(dir, 'models', 'model.onnx'));
  for (const f of ['wasm_infer.js', 'wasm_infer.worker.js', 'wasm_infer_bridge.py']) symlinkSync(path.join(ROOT, 'web', f), path.join(dir, f));
  writeFileSync(path.join(dir, 'wasm_infer.json'), JSON.stringify({ pyodide: 'pyodide/', wheel: `wheels/${wheel}`, model: 'models/model.onnx' }));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>swap benchmark</title><script type="module" src="bench_swap_page.mjs"></script>');
  writeFileSync(path.join(dir, 'bench_swap_page.mjs'), `(${pageMain.toString()})(${JSON.stringify({ steady, after, standby })});`);
  return dir;
}

// Runs in the page.
async function pageMain({ steady, after, standby }) {
  const state = window.__swap = { done: false };
  try {
    const { WasmInfer } = await import('./wasm_infer.js');
    const rt = await WasmInfer.init();
    const session = await rt.load('models/model.onnx');
    if (standby) await rt.prepareSwap();
    const input = session.inputs[0];
    const dims = input.dims.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37);
    const feeds = { [input.name]: { data, dims } };
    const records = [];
    let failures = 0;
    const errors = [];
    async function request(phase) {
      const t0 = performance.now();
      const swaps = session.swaps;
      try {
        await session.run(feeds);
        records.push({ phase, ms: performance.now() - t0, t: t0, model: swaps });
      } catch (e) {
        failures += 1;
        errors.push(`${phase}: ${e.name}: ${e.message}`);
      }
    }
    for (let i = 0; i < 10; i++) await request('unmeasured');
    for (let i = 0; i < steady; i++) await request('steady');
    const workersBefore = rt.workers;
    let swapDone = false;
    let maxWorkers = rt.workers;
    const t0 = performance.now();
    const swapping = rt.swap(session, 'models/model.onnx').then((s) => { swapDone = true; return s; });
    let swapError = null;
    swapping.catch((e) => { swapError = `${e.name}: ${e.message}`; swapDone = true; });
    while (!swapDone) {
      await request('during');
      maxWorkers = Math.max(maxWorkers, rt.workers);
    }
    const swapMs = performance.now() - t0;
    if (swapError) throw new Error(`swap failed: ${swapError}`);
    for (let i = 0; i < after; i++) await request('after');
    await new Promise((r) => setTimeout(r, 200));   // the old worker drains and ends
    const pct = (xs, p) => {
      const s = [...xs].sort((a, b) => a - b);
      if (!s.length) return null;
      const k = (s.length - 1) * p; const lo = Math.floor(k); const hi = Math.ceil(k);
      return s[lo] + (s[hi] - s[lo]) * (k - lo);
    };
    const phases = {};
    for (const phase of ['steady', 'during', 'after']) {
      const ms = records.filter((r) => r.phase === phase).map((r) => r.ms);
      phases[phase] = { requests: ms.length, p50: pct(ms, 0.5), p99: pct(ms, 0.99), max: Math.max(...ms), mean: ms.reduce((a, b) => a + b, 0) / ms.length };
    }
    const during = records.filter((r) => r.phase === 'during');
    state.result = {
      backend: session.backend, model: session.name, standby, failures, errors: errors.slice(0, 5),
      swap: { ms: swapMs, ...session.timings.swap },
      workers: { before: workersBefore, during_max: maxWorkers, after: rt.workers },
      served_during_swap: { old_model: during.filter((r) => r.model === 0).length, new_model: during.filter((r) => r.model === 1).length },
      phases,
      ratio_p99_during_vs_steady: phases.during.p99 / phases.steady.p99,
    };
  } catch (e) {
    state.error = String(e?.stack ?? e);
  }
  state.done = true;
}

async function serve(dir) {
  const proc = spawn(process.env.PYTHON || 'python3', [path.join(ROOT, 'tools', 'serve.py'), '--dir', dir, '--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => { out += d; const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out); if (m) resolve(m[0]); });
    proc.on('exit', (code) => reject(new Error(`tools/serve.py exited with ${code}`)));
  });
  return { url, stop: () => proc.kill('SIGTERM') };
}

export async function benchSwap() {
  const dir = stage();
  const server = await serve(dir);
  const executablePath = opt('--chromium', process.env.CHROMIUM) || execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  const browser = await chromium.launch({ executablePath, headless: true, args: FLAGS });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => log(m.text()));
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => window.__swap?.done, null, { timeout: 10 * 60 * 1000, polling: 250 });
    const state = await page.evaluate(() => window.__swap);
    if (state.error) throw new Error(state.error);
    state.result.engine = `Chromium ${browser.version()}`;
    return state.result;
  } finally {
    await browser.close();
    server.stop();
  }
}

function show(r) {
  const f = (x) => (x == null ? '-' : x.toFixed(1));
  const lines = [`hot swap${r.standby ? ' (standby worker started before the requests)' : ''}, ${r.engine}, ${r.backend}, ${r.model}`,
    '  phase      requests   p50 ms   p99 ms   max ms'];
  for (const [name, p] of Object.entries(r.phases)) lines.push(`  ${name.padEnd(10)} ${String(p.requests).padStart(8)} ${f(p.p50).padStart(8)} ${f(p.p99).padStart(8)} ${f(p.max).padStart(8)}`);
  lines.push(`  p99 during / steady: ${r.ratio_p99_during_vs_steady.toFixed(2)} (target <= 1.25); failed requests: ${r.failures}`);
  lines.push(`  swap ${f(r.swap.ms)} ms (second worker ready ${f(r.swap.worker_ms)}, model load ${f(r.swap.load_ms)}, warm-up ${f(r.swap.warmup_ms)}); `
    + `workers ${r.workers.before} -> ${r.workers.during_max} -> ${r.workers.after}; during the swap ${r.served_during_swap.old_model} requests served by the old model, ${r.served_during_swap.new_model} by the new`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const r = await benchSwap();
    process.stdout.write(asJSON ? JSON.stringify(r) + '\n' : show(r) + '\n');
    process.exit(r.failures ? 1 : 0);
  } catch (e) {
    log(`error: ${e.message}`);
    process.exit(1);
  }
}
