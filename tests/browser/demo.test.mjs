// The web demo (build/site/, served by tools/serve.py) in Debian's Chromium,
// driven by playwright-core, as a visitor would use it: one browser, one page
// load, then photos, errors, a custom model and the shim's API on that page.
//
// Skipped (not failed) when no Chromium is installed; `python3 build.py test`
// installs it with apt where it can. CHROMIUM=/path/to/chrome overrides.
// Screenshots go to build/test-artifacts/; WASM_INFER_UPDATE_SCREENSHOT=1 also
// refreshes docs/screenshot-demo.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { endlessLoopClassifier, rangeBomb, tinyClassifier, unsupportedOpModel } from './onnx_min.mjs';
import { findChromium, launchChromium } from '../../tools/chromium.mjs';
import { startServer } from '../../tools/serve.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SITE = process.env.WASM_INFER_SITE || path.join(ROOT, 'build', 'site');   // another built site, for debugging
const ARTIFACTS = path.join(ROOT, 'build', 'test-artifacts');
const IMAGES = path.join(ROOT, 'build', 'data', 'images');
const REFERENCE = path.join(ROOT, 'build', 'reference');
const PLAN = process.env.WASM_INFER_PLAN;

// Time limits for a busy 2-core machine: generous, but each test has its own,
// so a stuck test fails alone, by name, instead of using up a clock it shares.
// Idle, the boot takes under 10 s and every test under 20 s; with two busy
// processes on the two cores, under 10 s and 25 s.
const BOOT_MS = 180_000;    // Pyodide, numpy, the wheel and the model in the page's worker
const STEP_MS = 60_000;     // one action on the page: a photo classified, a model loaded
const TEST_MS = 150_000;    // one test: a few steps

const chromiumPath = findChromium();
const skip = chromiumPath ? false : process.env.CHROMIUM
  ? `CHROMIUM=${process.env.CHROMIUM} does not exist — browser tests skipped`
  : 'no Chromium found (`command -v chromium` failed; install Debian\'s `chromium` package or set CHROMIUM=/path/to/chromium) — browser tests skipped';
if (skip) console.log(`# SKIP browser tests: ${skip}`);

function readNpyFloat32(file) {
  const buf = readFileSync(file);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + headerLen).toString('latin1');
  assert.match(header, /'descr': '<f4'/);
  const body = buf.subarray(10 + headerLen);
  return new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
}

describe('the web demo in Chromium', { skip }, () => {
  let server; let browser; let context; let page;
  const requests = [];
  const failures = [];
  const pageErrors = [];

  const timing = (key) => page.$eval(`#timings tr[data-timing="${key}"]`, (tr) => Number(tr.dataset.ms || NaN));
  const top5 = () => page.$$eval('#top5 li', (lis) => lis.map((li) => ({ id: Number(li.dataset.classId), text: li.textContent })));
  const errorBox = () => page.$eval('#error', (el) => ({ hidden: el.hidden, kind: el.dataset.kind, text: el.textContent.replace(/\s+/g, ' ').trim() }));
  async function classifyFile(file, name = path.basename(file)) {
    const runs = await page.$eval('#top5', (ol) => Number(ol.dataset.runs ?? 0));
    await page.setInputFiles('#image-input', file);
    await page.waitForFunction(([n, r]) => {
      const ol = document.querySelector('#top5');
      return ol.dataset.source === n && Number(ol.dataset.runs) > r && document.body.dataset.state === 'ready';
    }, [name, runs], { timeout: STEP_MS });
    return top5();
  }
  async function waitIdle() {
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: STEP_MS });
  }

  before(async () => {
    assert.ok(existsSync(path.join(SITE, 'index.html')), 'build/site is missing: run `python3 build.py test` (it builds the site)');
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServer(SITE);
    browser = await launchChromium(chromiumPath);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(STEP_MS);     // clicks, waits and navigation that name no timeout
    context.on('request', (r) => requests.push(r.url()));     // the page's and its worker's requests
    context.on('requestfailed', (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`));
    context.on('response', (r) => { if (r.status() >= 400) failures.push(`${r.url()}: HTTP ${r.status()}`); });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // WASM_INFER_PLAN (build.py test: strict) reaches the worker's Python through the page's ?plan=
    await page.goto(PLAN ? `${server.url}?plan=${encodeURIComponent(PLAN)}` : server.url);
    // Every test uses the booted page: if it does not start, they all fail here, at once.
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: BOOT_MS });
    const ready = await page.evaluate(() => document.body.dataset.ready);
    assert.equal(ready, 'true', `the page did not start: ${JSON.stringify(await errorBox())}`);
  }, { timeout: BOOT_MS + STEP_MS });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      server?.stop();
    }
  }, { timeout: STEP_MS });

  it('boots offline: Pyodide, numpy, the wheel and the model load in a worker, with the SIMD kernels', { timeout: TEST_MS }, async () => {
    const badge = await page.$eval('#kernel-badge', (b) => ({ kind: b.dataset.kind, text: b.textContent, backend: b.dataset.backend }));
    assert.ok(['simd128', 'relaxed'].includes(badge.kind), `kernel badge: ${JSON.stringify(badge)}`);
    const t = {};
    for (const key of ['pyodide', 'numpy', 'wheel', 'python', 'model-download', 'model-load', 'warmup']) {
      t[key] = await timing(key);
      assert.ok(t[key] > 0, `timing ${key} is ${t[key]}`);
    }
    console.log(`# boot (ms): ${JSON.stringify(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v)])))}`);
  });

  it('classifies chelsea.png uploaded through the file input as a cat and fills the timings panel', { timeout: TEST_MS }, async () => {
    const top = await classifyFile(path.join(IMAGES, 'chelsea.png'));
    assert.equal(top.length, 5);
    assert.ok(top[0].id >= 281 && top[0].id <= 285, `top-1 is ${JSON.stringify(top[0])}, expected a cat (281–285)`);
    assert.match(top[0].text, /cat|Mau|tabby|tiger|Persian|Siamese/i);
    const first = await timing('first-inference');
    assert.ok(first > 0, 'first inference time missing');
    assert.ok(await timing('last-inference') > 0);
    console.log(`# first inference: ${first.toFixed(1)} ms`);
  });

  it('preprocesses on the canvas close to wasm_infer.vision (the tensor the reference logits were made from)', { timeout: TEST_MS }, async (t) => {
    const ref = path.join(REFERENCE, 'chelsea.png.input.npy');
    if (!existsSync(ref)) return t.skip('build/reference/chelsea.png.input.npy not built');
    const expected = readNpyFloat32(ref);
    // The Float32Array itself: playwright sends typed arrays as base64, where a plain
    // array would go through its protocol number by number (150,528 of them: about
    // 1 s idle, 2 s with two busy processes, against 0.06 s and 0.1 s).
    const got = await page.evaluate(() => Object.values(window.wasmInferDemo.lastFeeds)[0].data);
    assert.ok(got instanceof Float32Array, `the page's feed is a ${got?.constructor?.name}, not a Float32Array`);
    assert.equal(got.length, expected.length);
    let sum = 0;
    for (let i = 0; i < got.length; i++) sum += Math.abs(got[i] - expected[i]);
    const mean = sum / got.length;
    // One 8-bit level is 1/255/0.226 ≈ 0.017 in normalised units; resamplers differ by about one level.
    assert.ok(mean < 0.05, `mean |canvas - Pillow| = ${mean}`);
  });

  it('Run 50× fills p50/p90/p99, the latency histogram and the per-op-type chart', { timeout: TEST_MS }, async () => {
    await page.click('#bench');
    await page.waitForFunction(() => document.querySelector('#op-chart').dataset.drawn === 'ops', null, { timeout: 2 * STEP_MS });
    await waitIdle();
    const p = {};
    for (const key of ['p50', 'p90', 'p99']) p[key] = await timing(key);
    assert.ok(p.p50 > 0 && p.p50 <= p.p90 && p.p90 <= p.p99, JSON.stringify(p));
    assert.equal(await page.$eval('#histogram', (c) => c.dataset.drawn), 'histogram');
    const ops = await page.$eval('#op-chart', (c) => c.dataset.ops.split(','));
    assert.ok(ops.includes('Conv') || ops.includes('FusedConv') || ops.some((o) => /Conv/.test(o)), `op types: ${ops}`);
    console.log(`# Run 50×: p50 ${p.p50.toFixed(1)} ms, p90 ${p.p90.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'demo-chelsea.png'), fullPage: true });
    if (process.env.WASM_INFER_UPDATE_SCREENSHOT) {
      copyFileSync(path.join(ARTIFACTS, 'demo-chelsea.png'), path.join(ROOT, 'docs', 'screenshot-demo.png'));
    }
  });

  it('a text file instead of a photo gives a readable error, and the next photo still classifies', { timeout: TEST_MS }, async () => {
    await page.setInputFiles('#image-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture\n') });
    await page.waitForFunction(() => !document.querySelector('#error').hidden, null, { timeout: 30_000 });
    const err = await errorBox();
    assert.equal(err.kind, 'image');
    assert.match(err.text, /notes\.txt.*not an image/);
    await waitIdle();
    const top = await classifyFile(path.join(IMAGES, 'coffee.png'));
    assert.equal(top[0].id, 967, `coffee.png: ${JSON.stringify(top[0])}`);
    assert.equal((await errorBox()).hidden, true, 'the error should clear on the next photo');
  });

  it('a photo dropped on the page and a sample button classify too', { timeout: TEST_MS }, async () => {
    const runs = await page.$eval('#top5', (ol) => Number(ol.dataset.runs ?? 0));
    const dropped = await page.evaluateHandle(async () => {
      const blob = await (await fetch('data/images/motorcycle_left.png')).blob();
      const dt = new DataTransfer();
      dt.items.add(new File([blob], 'motorcycle_left.png', { type: 'image/png' }));
      return dt;
    });
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: dropped });
    await page.waitForFunction((r) => Number(document.querySelector('#top5').dataset.runs) > r && document.body.dataset.state === 'ready', runs, { timeout: STEP_MS });
    assert.equal(await page.$eval('#top5', (ol) => ol.dataset.source), 'motorcycle_left.png');
    assert.equal((await top5())[0].id, 665, `motorcycle_left.png: ${JSON.stringify((await top5())[0])}`);
    await page.click('.sample[data-sample="coffee.png"]');
    await page.waitForFunction(() => document.querySelector('#top5').dataset.source === 'coffee.png' && document.body.dataset.state === 'ready', null, { timeout: STEP_MS });
    assert.equal((await top5())[0].id, 967);
  });

  it('a corrupt .onnx and a model with an unsupported op give readable errors; the demo model keeps working', { timeout: TEST_MS }, async () => {
    const truncated = readFileSync(path.join(SITE, 'models', 'efficientnet_lite0.onnx')).subarray(0, 5000);
    const cases = [
      [{ name: 'broken.onnx', mimeType: 'application/octet-stream', buffer: truncated }, 'model', /broken\.onnx.*not a valid ONNX model.*truncated/],
      [{ name: 'essay.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from('Once upon a time, '.repeat(40)) }, 'model', /essay\.onnx.*not a valid ONNX model/],
      [{ name: 'frobnicate.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(unsupportedOpModel()) }, 'unsupported', /frobnicate\.onnx.*does not support.*FrobnicateImage/],
    ];
    for (const [file, kind, pattern] of cases) {
      await page.setInputFiles('#model-input', file);
      await page.waitForFunction(() => !document.querySelector('#error').hidden && document.body.dataset.state === 'ready', null, { timeout: 30_000 });
      const err = await errorBox();
      assert.equal(err.kind, kind, `${file.name}: ${JSON.stringify(err)}`);
      assert.match(err.text, pattern);
      assert.doesNotMatch(err.text, /Traceback|File "/, 'the message should not be a Python traceback');
    }
    assert.match(await page.$eval('#model-name', (el) => el.textContent), /EfficientNet-Lite0/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'demo-error.png') });
    const top = await classifyFile(path.join(IMAGES, 'rocket.jpg'));
    assert.equal(top[0].id, 657, `rocket.jpg: ${JSON.stringify(top[0])}`);
  });

  it('"Open your own .onnx" runs another classifier, with class numbers when it does not have 1,000 classes', { timeout: TEST_MS }, async () => {
    await page.setInputFiles('#model-input', { name: 'tiny.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(tinyClassifier()) });
    await page.waitForFunction(() => /tiny\.onnx/.test(document.querySelector('#model-name').textContent) && document.body.dataset.state === 'ready', null, { timeout: 30_000 });
    const top = await classifyFile(path.join(IMAGES, 'chelsea.png'));
    assert.equal(top.length, 3);
    assert.match(top[0].text, /^class \d/);
    await page.click('#reset-model');
    await page.waitForFunction(() => /EfficientNet/.test(document.querySelector('#model-name').textContent) && document.body.dataset.state === 'ready', null, { timeout: STEP_MS });
    const again = await classifyFile(path.join(IMAGES, 'chelsea.png'));
    assert.ok(again[0].id >= 281 && again[0].id <= 285);
  });

  it('the shim API: load bytes, run, errors with Python types, profile, release', { timeout: TEST_MS }, async () => {
    const result = await page.evaluate(async (modelBytes) => {
      const rt = window.wasmInferDemo.rt;
      const out = {};
      const session = await rt.load(new Uint8Array(modelBytes).buffer, { name: 'tiny.onnx' });
      out.inputs = session.inputs;
      out.outputs = session.outputs;
      const data = new Float32Array(3 * 32 * 32).map((_, i) => Math.floor(i / 1024) + 1);  // channel c = c + 1
      const { outputs, timings } = await session.run({ image: { data, dims: [1, 3, 32, 32] } });
      out.scores = Array.from(outputs.scores.data);
      out.dims = outputs.scores.dims;
      out.type = outputs.scores.type;
      out.timings = timings;
      try {
        await session.run({ image: { data, dims: [1, 3, 16, 64] } });
      } catch (e) { out.shapeError = { name: e.name, message: e.message, isError: e instanceof Error, pythonType: e.pythonType }; }
      try {
        await session.run({ picture: { data, dims: [1, 3, 32, 32] } });
      } catch (e) { out.nameError = { name: e.name, message: e.message }; }
      try {
        await rt.load(new Uint8Array([1, 2, 3, 4, 5]));
      } catch (e) { out.loadError = { name: e.name, message: e.message }; }
      const profile = await session.profile();
      out.profile = { ops: profile.ops.map((o) => o.op_type).sort(), nodes: profile.nodes.length, runs: profile.runs, plans: profile.plans };
      out.runtimePlan = rt.info.plan;
      await session.release();
      try { await session.run({ image: { data, dims: [1, 3, 32, 32] } }); } catch (e) { out.afterRelease = e.name; }
      return out;
    }, Array.from(tinyClassifier()));
    assert.deepEqual(result.inputs, [{ name: 'image', dims: ['N', 3, 32, 32], type: 'float32' }]);
    assert.deepEqual(result.outputs, [{ name: 'scores', dims: ['N', 3], type: 'float32' }]);
    assert.deepEqual(result.scores, [1, 2, 3]);
    assert.deepEqual(result.dims, [1, 3]);
    assert.equal(result.type, 'float32');
    assert.ok(result.timings.run_ms >= 0 && result.timings.total_ms >= result.timings.run_ms);
    assert.equal(result.shapeError.name, 'InputError');
    assert.ok(result.shapeError.isError);
    assert.equal(result.shapeError.pythonType, 'wasm_infer.errors.InputError');
    assert.match(result.shapeError.message, /axis 2 must be 32/);
    assert.equal(result.nameError.name, 'InputError');
    assert.match(result.nameError.message, /picture/);
    assert.equal(result.loadError.name, 'ModelError');
    // The profile lists the steps that run: the memory plan turns Flatten into a view.
    assert.ok(result.profile.ops.includes('GlobalAveragePool'), String(result.profile.ops));
    assert.ok(result.profile.ops.every((op) => ['Flatten', 'GlobalAveragePool'].includes(op)), String(result.profile.ops));
    assert.equal(result.profile.nodes, result.profile.ops.length);
    // profile().plans is InferenceSession.plan_info(): the one input signature run so far is planned
    assert.equal(result.profile.plans.planned.length, 1, JSON.stringify(result.profile.plans));
    assert.deepEqual(result.profile.plans.unplanned, []);
    if (PLAN) {      // the test run's plan mode reached Python in the worker
      const mode = { 1: 'on', 0: 'off', strict: 'strict' }[PLAN.trim().toLowerCase()];
      assert.equal(result.profile.plans.mode, mode);
      assert.equal(result.runtimePlan, mode);
    }
    assert.equal(result.afterRelease, 'SessionReleased');
  });

  it('rt.swap: requests keep flowing and none fails, the session then answers from the new model, the old worker ends', { timeout: TEST_MS }, async () => {
    const result = await page.evaluate(async ([oldBytes, newBytes]) => {
      const { WasmInfer } = await import('./wasm_infer.js');
      const rt = await WasmInfer.init({ env: window.wasmInferDemo.env });   // its own runtime: the demo's stays as it is
      try {
        const session = await rt.load(new Uint8Array(oldBytes).buffer, { name: 'tiny.onnx' });
        const data = new Float32Array(3 * 32 * 32).map((_, i) => Math.floor(i / 1024) + 1);
        const feeds = { image: { data, dims: [1, 3, 32, 32] } };
        const served = [];
        const failures = [];
        let workersDuring = 0;
        let done = false;
        const swapping = rt.swap(session, new Uint8Array(newBytes).buffer, { name: 'tiny-negated.onnx' }).finally(() => { done = true; });
        while (!done) {
          try { served.push((await session.run(feeds)).outputs.scores.data[0]); } catch (e) { failures.push(`${e.name}: ${e.message}`); }
          workersDuring = Math.max(workersDuring, rt.workers);
        }
        const swapped = await swapping;
        const after = Array.from((await session.run(feeds)).outputs.scores.data);
        for (let i = 0; i < 200 && rt.workers > 1; i++) await new Promise((r) => setTimeout(r, 25));
        return { sameSession: swapped === session, served, failures, after, workersDuring, workersAfter: rt.workers,
          swaps: session.swaps, name: session.name, timings: session.timings.swap };
      } finally {
        rt.terminate();
      }
    }, [Array.from(tinyClassifier()), Array.from(tinyClassifier({ negated: true }))]);
    assert.deepEqual(result.failures, []);
    assert.ok(result.sameSession);
    assert.ok(result.served.length >= 10, `only ${result.served.length} requests were served during the swap`);
    assert.equal(result.served[0], 1, 'the old model serves while the new one loads');
    assert.ok(result.served.every((x) => x === 1 || x === -1), String([...new Set(result.served)]));
    assert.deepEqual(result.after, [-1, -2, -3]);
    assert.equal(result.workersDuring, 2);
    assert.equal(result.workersAfter, 1);
    assert.equal(result.swaps, 1);
    assert.equal(result.name, 'tiny-negated.onnx');
    const t = result.timings;
    assert.ok(t.worker_ms > 0 && t.load_ms >= 0 && t.total_ms >= t.worker_ms, JSON.stringify(t));
    assert.ok(t.paused_ms > 0, `swap() paces the new worker by default: ${JSON.stringify(t)}`);
    console.log(`# swap of a tiny model with traffic (ms): ${JSON.stringify(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v)])))}, ${result.served.length} requests served during it`);
  });

  it('a model asking for more memory than wasm32 has is called that, not a corrupt model', { timeout: TEST_MS }, async () => {
    await page.setInputFiles('#model-input', { name: 'range-bomb.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(rangeBomb()) });
    await page.waitForFunction(() => !document.querySelector('#error').hidden && document.body.dataset.state === 'ready', null, { timeout: STEP_MS });
    const err = await errorBox();
    assert.equal(err.kind, 'memory', JSON.stringify(err));
    assert.match(err.text, /Not enough memory/);
    assert.doesNotMatch(err.text, /not a valid ONNX model|truncated/);
    assert.match(await page.$eval('#model-name', (el) => el.textContent), /EfficientNet-Lite0/);
  });

  it('a model whose Loop never ends: a clear message within the page\'s deadline, then the page classifies with its own model, by itself', { timeout: BOOT_MS + 2 * TEST_MS }, async () => {
    const before = await page.evaluate(() => ({ restarts: window.wasmInferDemo.rt.restarts, deadline: 30_000 }));
    await page.setInputFiles('#model-input', { name: 'forever.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(endlessLoopClassifier()) });
    // The page's deadline (30 s) plus time for the message to appear on a busy machine.
    await page.waitForFunction(() => !document.querySelector('#error').hidden && document.body.dataset.state === 'ready', null, { timeout: before.deadline + STEP_MS });
    const err = await errorBox();
    assert.equal(err.kind, 'deadline', JSON.stringify(err));
    assert.match(err.text, /forever\.onnx.*did not finish loading within 30 s/);
    assert.doesNotMatch(err.text, /Traceback|File "/);
    const inputs = await page.$$eval('#image-input, #model-input, .sample', (els) => els.map((el) => el.disabled));
    assert.ok(inputs.every((d) => d === false), `inputs still disabled: ${inputs}`);
    assert.match(await page.$eval('#model-name', (el) => el.textContent), /EfficientNet-Lite0/);
    assert.equal(await page.evaluate(() => window.wasmInferDemo.rt.restarts), before.restarts + 1);
    // The shim reloads EfficientNet-Lite0 in a fresh worker (Pyodide boots again): the photo waits for it.
    const runs = await page.$eval('#top5', (ol) => Number(ol.dataset.runs ?? 0));
    await page.setInputFiles('#image-input', path.join(IMAGES, 'chelsea.png'));
    await page.waitForFunction((r) => Number(document.querySelector('#top5').dataset.runs) > r && document.body.dataset.state === 'ready', runs, { timeout: BOOT_MS });
    const top = await top5();
    assert.ok(top[0].id >= 281 && top[0].id <= 285, `top-1 is ${JSON.stringify(top[0])}, expected a cat (281–285)`);
    assert.equal((await errorBox()).hidden, true);
    assert.equal(await page.evaluate(() => window.wasmInferDemo.rt.workers), 1);
  });

  it('lays out on a phone-width screen without horizontal scrolling', { timeout: TEST_MS }, async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    assert.ok(scroll <= client, `page is ${scroll}px wide in a ${client}px viewport`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'demo-phone.png'), fullPage: true });
  });

  it('made no request outside 127.0.0.1, every request succeeded, and no uncaught page errors', { timeout: TEST_MS }, async () => {
    assert.ok(requests.some((u) => u.endsWith('/pyodide.asm.wasm')), 'the worker\'s requests were not observed');
    const outside = requests.filter((u) => {
      if (u.startsWith('data:') || u.startsWith('blob:')) return false;
      return new URL(u).hostname !== '127.0.0.1';
    });
    assert.deepEqual(outside, []);
    assert.deepEqual(failures, []);
    assert.deepEqual(pageErrors, []);
  });
});
