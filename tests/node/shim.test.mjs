// The JS shim (web/wasm_infer.js) in Node, with its real worker script and
// real Pyodide in worker threads (tests/node/shim_webworker.mjs stands in for
// the browser's Web Worker): argument checks, release() under another
// session's traffic, deadlines that restart the worker and reload its
// sessions, and rt.terminate() during a swap or a standby's start.
// WASM_INFER_WEB=DIR takes the shim's three files from DIR instead of web/.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILD, ROOT } from '../../tools/pyodide_node.mjs';
import { BOOT_MS } from '../../tools/pyodide_thread.mjs';
import { installWebWorker, WebWorker } from './shim_webworker.mjs';
import { endlessLoopClassifier, tinyClassifier } from '../browser/onnx_min.mjs';

installWebWorker();
const WEB = path.resolve(process.env.WASM_INFER_WEB || path.join(ROOT, 'web'));
const { WasmInfer } = await import(pathToFileURL(path.join(WEB, 'wasm_infer.js')).href);

const wheel = readdirSync(path.join(BUILD, 'dist')).find((f) => f.endsWith('.whl'));
const OPTIONS = {
  pyodideURL: pathToFileURL(path.join(BUILD, 'pyodide') + path.sep).href,
  wheelURL: pathToFileURL(path.join(BUILD, 'dist', wheel)).href,
  env: process.env.WASM_INFER_PLAN ? { WASM_INFER_PLAN: process.env.WASM_INFER_PLAN } : {},
};
// A deadline far beyond a tiny model's run (milliseconds) even on a busy machine,
// and far below the test's time limit.
const DEADLINE_MS = 3000;
const TEST_MS = 4 * BOOT_MS;

const image = () => ({ image: { data: new Float32Array(3 * 32 * 32).map((_, i) => Math.floor(i / 1024) + 1), dims: [1, 3, 32, 32] } });
const rejection = async (promise) => {
  try { await promise; } catch (e) { return e; }
  assert.fail('expected a rejection');
};
// Wait (polling; the test's own time limit bounds it) until `cond()` holds.
async function until(cond) {
  while (!cond()) await new Promise((r) => setTimeout(r, 25));
}

describe('argument checks, release() and deadlines on one runtime', () => {
  let rt;
  before(async () => { rt = await WasmInfer.init(OPTIONS); }, { timeout: BOOT_MS });
  after(() => rt?.terminate());

  it('refuses bad runs, dims and outputNames with InputErrors before they reach Python; takes a string as one output name', { timeout: TEST_MS }, async () => {
    const session = await rt.load(tinyClassifier(), { name: 'tiny.onnx' });
    const feeds = image();
    for (const runs of [2 ** 53, 0, -1, 1.5, NaN, '5', WasmInfer.MAX_RUNS + 1]) {
      const e = await rejection(session.benchmark(feeds, { runs }));
      assert.equal(e.name, 'InputError', `runs ${runs}: ${e.name}: ${e.message}`);
      assert.match(e.message, /runs must be an integer from 1 to 10000/);
      assert.equal((await rejection(session.profile(feeds, { runs }))).name, 'InputError');
    }
    const bench = await session.benchmark(feeds, { runs: 3 });
    assert.equal(bench.runs, 3);
    for (const bad of [NaN, Infinity, 1e20, -3, 1.5, '3', null]) {
      const e = await rejection(session.run({ image: { data: feeds.image.data, dims: [1, bad, 32, 32] } }));
      assert.equal(e.name, 'InputError', `dim ${bad}: ${e.name}: ${e.message}`);
      assert.equal(e.pythonType, null, `dim ${bad} reached Python: ${e.message}`);
      assert.match(e.message, /input "image": dims .*non-negative integer/);
    }
    const wrongCount = await rejection(session.run({ image: { data: feeds.image.data, dims: [1, 3, 32, 31] } }));
    assert.equal(wrongCount.name, 'InputError');
    assert.match(wrongCount.message, /hold 2976 values, but data has 3072/);
    const one = await session.run(feeds, { outputNames: 'scores' });
    assert.deepEqual(Object.keys(one.outputs), ['scores']);
    assert.deepEqual(Array.from(one.outputs.scores.data), [1, 2, 3]);
    assert.deepEqual(Object.keys((await session.run(feeds, { outputNames: ['scores'] })).outputs), ['scores']);
    for (const bad of [42, ['scores', 7], { scores: true }]) {
      const e = await rejection(session.run(feeds, { outputNames: bad }));
      assert.equal(e.name, 'InputError', `outputNames ${JSON.stringify(bad)}: ${e.name}: ${e.message}`);
      assert.match(e.message, /outputNames must be an output name or an array of them/);
    }
    for (const bad of [0, -5, NaN, 'soon']) {
      assert.equal((await rejection(session.run(feeds, { timeout: bad }))).name, 'InputError', `timeout ${bad}`);
    }
    await session.release();
  });

  it('release() settles while another session on the same runtime keeps two requests in flight', { timeout: TEST_MS }, async () => {
    const quiet = await rt.load(tinyClassifier(), { name: 'quiet.onnx' });
    const busy = await rt.load(tinyClassifier({ negated: true }), { name: 'busy.onnx' });
    const feeds = image();
    let released = false;
    let served = 0;
    const CAP = 3000;     // requests the traffic makes at most: release() must settle well before
    const traffic = async () => {
      while (!released && served < CAP) {
        await busy.run(feeds);
        served += 1;
      }
    };
    await quiet.run(feeds);
    const loops = [traffic(), traffic()];      // two loops: the worker always has a call of busy's pending
    await until(() => served >= 5);
    const releasing = quiet.release().then(() => { released = true; });
    await Promise.all(loops);
    assert.ok(released, `release() had not settled after ${served} requests of the other session`);
    await releasing;
    assert.equal((await rejection(quiet.run(feeds))).name, 'SessionReleased');
    assert.deepEqual(Array.from((await busy.run(feeds)).outputs.scores.data), [-1, -2, -3]);
    await busy.release();
  });

  it('a run past its deadline rejects with DeadlineError; the worker restarts and every session reloads by itself', { timeout: TEST_MS }, async () => {
    const tiny = await rt.load(tinyClassifier(), { name: 'tiny.onnx' });
    const hang = await rt.load(endlessLoopClassifier(), { name: 'loop.onnx', warmup: false, timeout: DEADLINE_MS });
    const feeds = image();
    const threads = WebWorker.live.size;
    const stuck = hang.run(feeds);                       // the session's default deadline applies
    const behind = tiny.run(feeds, { timeout: null });   // queued behind it in the same worker
    const e = await rejection(stuck);
    assert.equal(e.name, 'DeadlineError');
    assert.match(e.message, new RegExp(`run\\(\\) did not finish within ${DEADLINE_MS} ms`));
    const lost = await rejection(behind);
    assert.equal(lost.name, 'WorkerError');
    assert.match(lost.message, /restarted because a call on it passed its deadline.*call it again/);
    assert.equal(rt.restarts, 1);
    // Both sessions come back in the fresh worker: their calls wait for the reload.
    assert.deepEqual(Array.from((await tiny.run(feeds)).outputs.scores.data), [1, 2, 3]);
    assert.equal(tiny.restarts, 1);
    assert.equal(hang.restarts, 1);
    assert.deepEqual(hang.inputNames, ['image']);
    await until(() => WebWorker.live.size <= threads);   // the stuck thread is gone, not leaked
    assert.equal(rt.workers, 1);
    await hang.release();

    // The runtime's default deadline bounds a load too (the warm-up on zeros never ends).
    rt.timeout = DEADLINE_MS;
    try {
      const err = await rejection(rt.load(endlessLoopClassifier(), { name: 'loop.onnx' }));
      assert.equal(err.name, 'DeadlineError');
      assert.match(err.message, /load\(\) did not finish/);
    } finally {
      rt.timeout = null;
    }
    assert.equal(rt.restarts, 2);
    assert.deepEqual(Array.from((await tiny.run(feeds)).outputs.scores.data), [1, 2, 3]);
    assert.equal(tiny.restarts, 2);
    const again = await rt.load(tinyClassifier({ negated: true }));      // new models load into the fresh worker
    assert.deepEqual(Array.from((await again.run(feeds)).outputs.scores.data), [-1, -2, -3]);
    assert.equal(rt.workers, 1);
  });
});

describe('rt.terminate() during a standby\'s start and during a swap', () => {
  it('rejects prepareSwap() and swap() in flight, leaves every session unusable with a WorkerError and no thread behind', { timeout: TEST_MS }, async () => {
    const threads = WebWorker.live.size;
    const rt = await WasmInfer.init(OPTIONS);
    const session = await rt.load(tinyClassifier(), { name: 'tiny.onnx' });
    const other = await rt.load(tinyClassifier(), { name: 'other.onnx' });
    const standby = rt.prepareSwap();
    await until(() => rt.workers === 2);                  // the standby's worker is booting
    rt.terminate();
    const e = await rejection(standby);
    assert.equal(e.name, 'WorkerError');
    assert.match(e.message, /terminated/);
    for (const s of [session, other]) {
      const err = await rejection(s.run(image()));
      assert.equal(err.name, 'WorkerError');
      assert.match(err.message, /the runtime was terminated/);
    }
    assert.equal((await rejection(rt.load(tinyClassifier()))).name, 'WorkerError');
    assert.equal(rt.workers, 0);
    await until(() => WebWorker.live.size <= threads);

    // A swap whose new worker is loading the model when terminate() comes.
    const rt2 = await WasmInfer.init(OPTIONS);
    const s2 = await rt2.load(tinyClassifier(), { name: 'tiny.onnx' });
    let loading = false;
    const swapping = rt2.swap(s2, tinyClassifier({ negated: true }), {
      pace: null,
      onProgress: (p) => { if (p.phase === 'model load' && !loading) { loading = true; rt2.terminate(); } },
    });
    const swapError = await rejection(swapping);
    assert.ok(loading, 'terminate() should have come while the new worker loaded the model');
    assert.equal(swapError.name, 'WorkerError');
    assert.match(swapError.message, /terminated/);
    assert.equal(s2.swaps, 0);
    const after2 = await rejection(s2.run(image()));
    assert.equal(after2.name, 'WorkerError');
    assert.equal(rt2.workers, 0);
    await until(() => WebWorker.live.size <= threads);
  });
});
