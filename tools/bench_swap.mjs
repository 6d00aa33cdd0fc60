// Hot-swap benchmark (issue 7): requests flow continuously through the JS
// shim (web/wasm_infer.js), one after another, while `rt.swap(session, model)`
// starts a second worker (or takes the hot standby, --standby), loads and
// warms the new model there (paced, as swap() does by default) and switches
// over. One run performs several swaps with the traffic going on and pools the
// requests made during all of them, so the p99 during a swap rests on enough
// samples (>= --min-during, default 100) rather than on the one or two slowest
// requests of a single swap. The steady state is measured in a window before
// each swap (--steady requests in all, split over the first --swaps windows),
// so both are sampled over the same stretch of time. Reports p50/p99 of
// request latency (as the page sees it, postMessage included) in the steady
// state, during the swaps (pooled, and per swap), after them, failed requests,
// the sample counts, and where in the new worker's startup the slow requests fell.
//
//   node tools/bench_swap.mjs [--model build/models/efficientnet_lite0.onnx] [--alternate PATH]
//                             [--steady 300] [--after 20] [--swaps 3] [--max-swaps 12]
//                             [--min-during 100] [--standby] [--pace WORK,SLEEP|off] [--json]
//                             [--records FILE] [--chromium PATH] [--wheel PATH] [--web DIR] [--stage NAME]
//
// --web: take the shim (the files its package.json lists) from DIR instead of web/
// (to compare a variant); --stage: the folder under build/ the page is staged in.
// --pace: how swap() paces the new worker, in ms of work and of sleep
// (default: the shim's SWAP_PACE; off: full speed). --records: write every
// request (phase, swap, latency, run_ms inside the worker, startup step) as JSON.
//
// --swaps: at least this many swaps; more follow until the pooled "during"
// requests reach --min-during (at most --max-swaps). --alternate: swap back and
// forth between --model and this file (default: the same file each time).
// --standby: rt.prepareSwap() boots the next worker while no requests flow
// (before the traffic, and between swaps), so the swap only loads and warms.
//
// Runs in Debian's headless Chromium (playwright-core), where the shim's Web
// Workers are real: the page is served by tools/serve.py from build/bench_swap/,
// which links the offline Pyodide, the built wheel, the model and the shim's
// sources from web/ (so the benchmark always measures the current shim).
// Target: p99 during the swaps (pooled) <= 1.25 x steady-state p99, zero failures.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';
import { startServer } from './serve.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = path.join(ROOT, 'build');
export const TARGET_RATIO = 1.25;

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const OPTIONS = {
  model: path.resolve(opt('--model', path.join(BUILD, 'models', 'efficientnet_lite0.onnx'))),
  alternate: opt('--alternate', null) && path.resolve(opt('--alternate')),
  steady: Number(opt('--steady', 300)),
  after: Number(opt('--after', 20)),
  minSwaps: Number(opt('--swaps', 3)),
  maxSwaps: Number(opt('--max-swaps', 12)),
  minDuring: Number(opt('--min-during', 100)),
  gapMs: 300,
  stageDir: opt('--stage', 'bench_swap'),                        // under build/
  web: path.resolve(opt('--web', path.join(ROOT, 'web'))),       // the shim's sources (another copy: A/B comparisons)
  wheel: opt('--wheel', null) && path.resolve(opt('--wheel')),   // default: build/dist's
  chromium: opt('--chromium', process.env.CHROMIUM),
  standby: args.includes('--standby'),
  pace: opt('--pace', null),                                      // "work,sleep" ms, "off"; default: the shim's
};
const asJSON = args.includes('--json');
const log = (msg) => process.stderr.write(`[bench_swap] ${msg}\n`);

// The shim's files as its npm package lists them (web/package.json "files");
// a copy from before the package existed: the three files it had then.
function shimFiles(web) {
  const manifest = path.join(web, 'package.json');
  if (!existsSync(manifest)) return ['wasm_infer.js', 'wasm_infer.worker.js', 'wasm_infer_bridge.py'];
  return JSON.parse(readFileSync(manifest, 'utf8')).files.filter((f) => /\.(js|py)$/.test(f));
}

export function stage(o = OPTIONS) {
  const dir = path.join(BUILD, o.stageDir ?? 'bench_swap');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'wheels'), { recursive: true });
  mkdirSync(path.join(dir, 'models'), { recursive: true });
  const need = (p, what) => { if (!existsSync(p)) throw new Error(`${what} missing (${path.relative(ROOT, p)}): run \`python3 build.py setup\``); return p; };
  symlinkSync(need(path.join(BUILD, 'pyodide'), 'the offline Pyodide'), path.join(dir, 'pyodide'));
  const wheelPath = o.wheel ?? path.join(BUILD, 'dist', readdirSync(need(path.join(BUILD, 'dist'), 'the wheel')).find((f) => f.endsWith('.whl')) ?? '');
  if (!wheelPath.endsWith('.whl')) throw new Error('the wheel is missing (build/dist/*.whl): run `python3 build.py setup`');
  const wheel = path.basename(need(wheelPath, 'the wheel'));
  symlinkSync(wheelPath, path.join(dir, 'wheels', wheel));
  symlinkSync(need(o.model, 'the model'), path.join(dir, 'models', 'model.onnx'));
  if (o.alternate) symlinkSync(need(o.alternate, 'the --alternate model'), path.join(dir, 'models', 'model2.onnx'));
  for (const f of shimFiles(o.web)) symlinkSync(path.join(o.web, f), path.join(dir, f));
  writeFileSync(path.join(dir, 'wasm_infer.json'), JSON.stringify({ pyodide: 'pyodide/', wheel: `wheels/${wheel}`, model: 'models/model.onnx' }));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>swap benchmark</title><link rel="icon" href="data:,"><script type="module" src="bench_swap_page.mjs"></script>');
  writeFileSync(path.join(dir, 'bench_swap_page.mjs'), `(${pageMain.toString()})(${JSON.stringify({ ...o, alternate: Boolean(o.alternate) })});`);
  return dir;
}

// Runs in the page.
async function pageMain({ steady, after, standby, minSwaps, maxSwaps, minDuring, alternate, gapMs, pace }) {
  const state = window.__swap = { done: false };
  const log = (m) => console.log(m);
  try {
    const { WasmInfer, SWAP_PACE } = await import('./wasm_infer.js');
    const paceSetting = pace === 'off' ? null : pace ? { workMs: Number(pace.split(',')[0]), sleepMs: Number(pace.split(',')[1]) } : SWAP_PACE;
    const rt = await WasmInfer.init();
    const session = await rt.load('models/model.onnx');
    const input = session.inputs[0];
    const dims = input.dims.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37);
    const feeds = { [input.name]: { data, dims } };
    const records = [];
    let failures = 0;
    const errors = [];
    let phase = 'unmeasured';
    let swapIndex = -1;
    async function request() {
      const t0 = performance.now();
      const rec = { phase, swap: swapIndex, t: t0, model: session.swaps };
      try {
        const { timings } = await session.run(feeds);
        rec.ms = performance.now() - t0;
        rec.run_ms = timings.run_ms;             // inside the worker: the graph run alone
        rec.convert_ms = timings.convert_ms;
        records.push(rec);
      } catch (e) {
        failures += 1;
        errors.push(`${phase} (swap ${swapIndex}): ${e.name}: ${e.message}`);
      }
    }
    const pause = (ms) => new Promise((r) => setTimeout(r, ms));
    // Continuous traffic: one request after another, on its own, while `until()` is false.
    async function traffic(p, until) {
      phase = p;
      while (!until()) await request();
    }
    async function count(p, n) { let i = 0; await traffic(p, () => i++ >= n); }

    if (standby) await rt.prepareSwap();
    await count('unmeasured', 10);
    const swaps = [];
    const sources = ['models/model.onnx', alternate ? 'models/model2.onnx' : 'models/model.onnx'];
    const steadyPerSwap = Math.ceil(steady / minSwaps);
    let pooled = 0;
    for (let k = 0; k < maxSwaps && (k < minSwaps || pooled < minDuring); k++) {
      swapIndex = k;
      // The steady state is measured before every swap, so that it is sampled
      // over the same stretch of time (and machine noise) as the swaps.
      await count('steady', steadyPerSwap);
      const marks = [];                          // [{ phase, t }]: the new worker's phases as they start
      let progressEvents = 0;
      const onProgress = (e) => { progressEvents += 1; if (!marks.length || marks[marks.length - 1].phase !== e.phase) marks.push({ phase: e.phase, t: performance.now() }); };
      const workersBefore = rt.workers;
      let maxWorkers = workersBefore;
      let done = false;
      let swapError = null;
      const t0 = performance.now();
      rt.swap(session, sources[(k + 1) % 2], { onProgress, pace: paceSetting }).then(() => { done = true; }, (e) => { swapError = `${e.name}: ${e.message}`; done = true; });
      phase = 'during';
      while (!done) {
        await request();
        maxWorkers = Math.max(maxWorkers, rt.workers);
      }
      const t1 = performance.now();
      if (swapError) throw new Error(`swap ${k} failed: ${swapError}`);
      await count('after', after);
      while (rt.workers > 1) await request();     // the old worker drains and ends (counted as 'after')
      const during = records.filter((r) => r.phase === 'during' && r.swap === k);
      pooled += during.length;
      // which phase of the new worker each request started in
      for (const r of during) {
        const mark = marks.filter((m) => m.t <= r.t).pop();
        r.step = mark?.phase ?? 'worker start';
        r.into_step_ms = r.t - (mark?.t ?? t0);
      }
      swaps.push({ ms: t1 - t0, ...session.timings.swap, workers: { before: workersBefore, during_max: maxWorkers, after: rt.workers },
        progress_events: progressEvents, served: { old_model: during.filter((r) => r.model === k).length, new_model: during.filter((r) => r.model === k + 1).length },
        steps: marks.map((m, i) => ({ phase: m.phase, ms: (marks[i + 1]?.t ?? t1) - m.t })) });
      log(`swap ${k}: ${(t1 - t0).toFixed(0)} ms, ${during.length} requests during it (${pooled} pooled)`);
      if (standby) {                               // the next hot standby boots while no requests flow
        await pause(gapMs);
        await rt.prepareSwap();
        await pause(gapMs);
        phase = 'unmeasured';
        await count('unmeasured', 5);
      }
    }
    state.records = records;
    state.result = { init_steps: rt.timings.map((t) => ({ phase: t.phase, ms: t.ms })), backend: session.backend, model: session.name, standby, alternate, pace: paceSetting, failures, errors: errors.slice(0, 5), swaps };
  } catch (e) {
    state.error = String(e?.stack ?? e);
  }
  state.done = true;
}

// Linear-interpolation percentile (numpy's default), null for no samples.
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return null;
  const k = (s.length - 1) * p; const lo = Math.floor(k); const hi = Math.ceil(k);
  return s[lo] + (s[hi] - s[lo]) * (k - lo);
}

export function summarize(ms) {
  if (!ms.length) return { requests: 0, p50: null, p99: null, max: null, mean: null };
  return { requests: ms.length, p50: percentile(ms, 0.5), p99: percentile(ms, 0.99), max: Math.max(...ms),
    mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}

// The page's records -> the report: phases (during pooled over all swaps), per swap, per startup step.
export function analyse(records, result) {
  const of = (pred) => records.filter(pred).map((r) => r.ms);
  const phases = {};
  for (const phase of ['steady', 'during', 'after']) phases[phase] = summarize(of((r) => r.phase === phase));
  const perSwap = result.swaps.map((s, k) => ({ ...s, ...summarize(of((r) => r.phase === 'during' && r.swap === k)) }));
  const steps = {};
  for (const r of records) if (r.phase === 'during') (steps[r.step] ??= []).push(r.ms);
  const ratio = phases.during.p99 != null && phases.steady.p99 ? phases.during.p99 / phases.steady.p99 : null;
  return {
    ...result, phases, per_swap: perSwap,
    during_by_step: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, summarize(v)])),
    ratio_p99_during_vs_steady: ratio, ratio_p50_during_vs_steady: phases.during.p50 / phases.steady.p50,
    target_ratio: TARGET_RATIO,
    pass: ratio != null && ratio <= TARGET_RATIO && result.failures === 0,
  };
}

export async function benchSwap(options = OPTIONS) {
  const o = { ...OPTIONS, ...options };
  const dir = stage(o);
  const server = await startServer(dir);
  const browser = await launchChromium(o.chromium || undefined);
  const load = [os.loadavg()[0]];
  try {
    const page = await browser.newPage();
    page.on('console', (m) => log(m.text()));
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => window.__swap?.done, null, { timeout: 20 * 60 * 1000, polling: 250 });
    const state = await page.evaluate(() => window.__swap);
    if (state.error) throw new Error(state.error);
    load.push(os.loadavg()[0]);
    const r = analyse(state.records, state.result);
    Object.defineProperty(r, 'records', { value: state.records });   // raw, for --records; not in the report
    r.engine = `Chromium ${browser.version()}`;
    r.load_avg_1m = { start: load[0], end: load[1] };
    r.cpus = os.cpus().length;
    return r;
  } finally {
    await browser.close();
    server.stop();
  }
}

export function show(r) {
  const f = (x) => (x == null ? '-' : x.toFixed(1));
  const row = (name, p) => `  ${name.padEnd(22)} ${String(p.requests).padStart(8)} ${f(p.p50).padStart(8)} ${f(p.p99).padStart(8)} ${f(p.max).padStart(8)}`;
  const paceText = r.pace ? `paced ${r.pace.workMs} ms work / ${r.pace.sleepMs} ms sleep` : 'unpaced';
  const lines = [`hot swap${r.standby ? ' (hot standby: each next worker boots while no requests flow)' : ''}, ${paceText}, ${r.engine}, ${r.backend}, ${r.model}; `
    + `${r.per_swap.length} swaps${r.alternate ? ' alternating between two models' : ''}; load average ${r.load_avg_1m.start.toFixed(2)} -> ${r.load_avg_1m.end.toFixed(2)} on ${r.cpus} CPUs`,
  `  ${'phase'.padEnd(22)} ${'requests'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`];
  lines.push(row('steady', r.phases.steady));
  lines.push(row('during (all swaps)', r.phases.during));
  lines.push(row('after', r.phases.after));
  lines.push(`  p99 during / steady: ${r.ratio_p99_during_vs_steady?.toFixed(2)} (target <= ${r.target_ratio}; ${r.pass ? 'met' : 'NOT met'}); `
    + `p50 during / steady: ${r.ratio_p50_during_vs_steady?.toFixed(2)}; failed requests: ${r.failures}`);
  lines.push('  per swap:');
  r.per_swap.forEach((s, k) => {
    lines.push(`${row(`  swap ${k + 1}`, s)}   ${f(s.ms)} ms (worker ${f(s.worker_ms)}, load ${f(s.load_ms)}, warm-up ${f(s.warmup_ms)}, paused ${f(s.paused_ms)}); `
      + `old/new model served ${s.served.old_model}/${s.served.new_model}; workers ${s.workers.before}->${s.workers.during_max}->${s.workers.after}`);
  });
  lines.push('  during, by the step the new worker was in when the request started:');
  for (const [step, p] of Object.entries(r.during_by_step)) lines.push(row(`  ${step}`, p));
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const r = await benchSwap();
    if (opt('--records', null)) writeFileSync(opt('--records'), JSON.stringify(r.records));
    process.stdout.write(asJSON ? JSON.stringify(r) + '\n' : show(r) + '\n');
    process.exit(r.failures ? 1 : 0);
  } catch (e) {
    log(`error: ${e.message}`);
    process.exit(1);
  }
}
