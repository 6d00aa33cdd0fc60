// wasm_infer.js — run ONNX models in the browser with wasm_infer (Python in
// Pyodide + WebAssembly SIMD kernels). An ES module; no bundler needed.
//
//   import { WasmInfer } from './wasm_infer.js';
//   const rt = await WasmInfer.init({ onProgress: (e) => console.log(e.phase, e.loaded, e.total) });
//   const session = await rt.load('models/efficientnet_lite0.onnx');     // URL | File | Blob | ArrayBuffer
//   const { outputs, timings } = await session.run({ input: { data: float32, dims: [1, 3, 224, 224] } });
//   console.log(outputs.output.data, timings.run_ms);
//
// Pyodide, numpy, the wasm_infer wheel and every model live in a dedicated
// Web Worker (wasm_infer.worker.js), so the page never blocks and large wasm
// modules compile without the main thread's 8 MB limit. Errors raised in
// Python arrive as `WasmInferError`s (a subclass of Error) whose `name` is
// the Python exception's type (`ModelError`, `UnsupportedError`,
// `InputError`, ...) and whose `message` is the Python message; the shim's
// own errors use the same class (names in ERROR_NAMES below).
//
// Deadlines: a call given `timeout` (ms; or the session's / runtime's default)
// that has not answered by then rejects with a `DeadlineError`; the shim then
// terminates that worker (Python cannot be interrupted from outside), starts a
// fresh one and loads every session that lived there into it again, from the
// source it kept (a URL is downloaded again, a Blob or bytes are kept in
// memory). Those sessions' calls wait for their reload; a session whose reload
// fails rejects every later call with `SessionLost`.
//
// The shim's modules: wasm_infer_errors.js (WasmInferError), wasm_infer_args.js
// (argument checks), wasm_infer_channel.js (the worker, its calls and
// deadlines), wasm_infer_session.js (Session) and this one (Runtime, init).

import { MAX_RUNS, checkTimeout, loadArgs, sourceOf } from './wasm_infer_args.js';
import { detectFeatures, startWorker } from './wasm_infer_channel.js';
import { ERROR_NAMES, WasmInferError, shimError } from './wasm_infer_errors.js';
import { Session } from './wasm_infer_session.js';

export { detectFeatures, ERROR_NAMES, MAX_RUNS, Session, WasmInferError };

// How a swap paces the new worker while the old one serves: sleep sleepMs after every workMs of work.
export const SWAP_PACE = Object.freeze({ workMs: 3, sleepMs: 7 });

/** A started runtime: a worker with Pyodide, numpy and wasm_infer ready. */
export class Runtime {
  constructor(channel, info, baseURL, options) {
    this._channel = channel;                    // the worker new models load into
    this._starting = null;                      // while that worker is being replaced: the promise of its successor
    this._options = options;                    // init() options, to start more workers (swap, restarts)
    this._channels = new Set();                 // every live worker, starting ones included
    this._sessions = new Set();                 // every live session (a restart reloads those of its worker)
    this._terminated = null;                    // the error every call rejects with after terminate()
    this._adopt(channel);
    this.timeout = checkTimeout(options.timeout); // default deadline of every call, ms (null: none)
    this.restarts = 0;                          // workers restarted because a call passed its deadline
    this.baseURL = baseURL;
    this.info = info.runtime;                   // wasm_infer.runtime_info() + pyodide version
    this.manifest = info.manifest;
    this.features = detectFeatures();
    this.timings = info.timings;                // [{ phase, ms, bytes }]
  }

  _adopt(channel) {
    this._channels.add(channel);
    channel.onDeadline = (ch) => this._restart(ch);
  }

  // A worker of this runtime, registered before it boots (terminate() reaches it then too).
  _startWorker(onProgress, pace) {
    if (this._terminated) return Promise.reject(this._terminated);
    return startWorker(this._options, onProgress, pace, (channel) => this._adopt(channel));
  }

  // The worker new models load into: the current one, its successor after a
  // restart, or a new one when that failed.
  async _mainChannel() {
    for (;;) {
      if (this._terminated) throw this._terminated;
      if (this._starting) { await this._starting.catch(() => {}); continue; }
      if (!this._channel.dead) return this._channel;
      this._replaceMain(this._startWorker());
    }
  }

  _replaceMain(starting) {
    const promise = starting.then(({ channel }) => { this._channel = channel; return channel; });
    this._starting = promise;
    promise.catch(() => {}).finally(() => { if (this._starting === promise) this._starting = null; });
    return promise;
  }

  /** Load a model from a URL (string or URL), a File/Blob, an ArrayBuffer or a typed array. timeout: ms for the load, and the session's default. */
  async load(source, options = {}) {
    const source_ = sourceOf(source, options.name, this.baseURL);
    checkTimeout(options.timeout);
    return this._loadInto(await this._mainChannel(), source_, options);
  }

  async _loadInto(channel, source, { onProgress, warmup = true, pace, timeout } = {}) {
    const ms = timeout === undefined ? this.timeout : checkTimeout(timeout);
    const meta = await channel.call('load', { ...loadArgs(source), warmup, pace }, { onProgress, timeout: ms });
    const session = new Session(channel, meta);
    session._owner = this;
    session._source = source;
    session._warmup = warmup;
    if (timeout !== undefined) session.timeout = ms;
    if (this._terminated || channel.dead) {         // terminated while loading: the worker's answer came first
      throw this._terminated ?? channel.dead;
    }
    this._sessions.add(session);
    return session;
  }

  // A call on `channel` passed its deadline: stop that worker, fail its other
  // calls in flight, start a fresh worker and reload its sessions there.
  _restart(channel) {
    if (channel.dead || this._terminated) return;
    const sessions = [...this._sessions].filter((s) => s._channel === channel && !s._recovering);
    this._channels.delete(channel);
    channel.terminate(shimError('WorkerError', 'the worker was restarted because a call on it passed its deadline; this call did not finish (call it again)'));
    if (this._spare) this._spare.then(({ channel: spare }) => { if (spare === channel) this._spare = null; }, () => {});
    const isMain = channel === this._channel;
    if (!sessions.length && !isMain && !channel.replacement) return;
    this.restarts += 1;
    const starting = this._startWorker();
    starting.then(({ channel: fresh }) => { fresh.replacement = true; }, () => {});
    channel.successor = starting;               // reloads still headed for `channel` go there instead
    if (isMain) this._replaceMain(starting);
    this._reload(sessions, starting);
  }

  // Load `sessions` again into the worker `starting` resolves to, one after
  // another (the worker serves one command at a time anyway).
  _reload(sessions, starting) {
    let chain = starting.then(({ channel }) => channel);
    for (const session of sessions) {
      const step = chain.then(async (first) => {
        let channel = first;
        let meta;
        for (;;) {
          while (channel.dead && channel.successor) channel = (await channel.successor).channel;
          if (session.released) return channel;
          try {
            meta = await channel.call('load', { ...loadArgs(session._source), warmup: session._warmup },
              { timeout: session.timeout ?? this.timeout });
            break;
          } catch (err) {                       // its own deadline: lost; another's restart: try the successor
            if (err.name === 'DeadlineError' || !channel.dead || !channel.successor) throw err;
          }
        }
        if (session.released) { channel.call('release', { id: meta.id }).catch(() => {}); return channel; }
        session._bind(channel, { ...meta, timings: { ...meta.timings, restart: true } });
        session.restarts += 1;
        return channel;
      });
      session._recovering = step.then(() => {}, (err) => {
        session._lost = shimError('SessionLost', `the worker holding “${session.name}” was restarted (a call passed its deadline), and loading the model again failed: ${err.name}: ${err.message}. Load it anew.`);
        if (this._terminated) session._lost = this._terminated;
        this._sessions.delete(session);
      }).finally(() => { session._recovering = null; });
      chain = step.catch(() => starting.then(({ channel }) => channel));   // the next session still tries
    }
    starting.catch(() => {});
  }

  /**
   * Replace the model behind `session` without stopping service: start a second
   * worker, load `newSource` there and warm it up while `session` keeps
   * serving from the old worker, then switch `session` to the new model in one
   * step and release the old model (its worker ends once its last session is
   * gone and its calls in flight have answered). No request fails or waits for
   * the load. Resolves to `session` itself, now serving the new model, with
   * `session.timings.swap` = { worker_ms, load_ms, warmup_ms, paused_ms, total_ms }.
   * Options as for load(); onProgress also sees the new worker's startup phases.
   * pace: { workMs, sleepMs } (default SWAP_PACE): the new worker sleeps sleepMs
   * after every workMs of work, so that it takes little CPU and memory
   * bandwidth from the worker serving requests (on two cores an unpaced start
   * made the slowest 1% of requests up to 1.3-1.6x slower; paced, the swap
   * takes about 2.5x as long; docs/PERFORMANCE.md). pace: null: full speed.
   * rt.terminate() while a swap runs rejects it (and stops its worker).
   */
  async swap(session, newSource, { onProgress, warmup = true, name, pace = SWAP_PACE, timeout } = {}) {
    if (!(session instanceof Session) || session._owner !== this) {
      throw shimError('TypeError', 'swap(session, source): session must be a Session of this runtime');
    }
    const source = sourceOf(newSource, name, this.baseURL);
    await session._usable();
    const t0 = performance.now();
    const spare = this._spare;
    this._spare = null;
    const { channel, info } = await (spare ?? this._startWorker(onProgress, pace));
    if (this._terminated) throw this._terminated;
    const t1 = performance.now();
    let fresh;
    try {
      fresh = await this._loadInto(channel, source, { onProgress, warmup, pace, timeout });
    } catch (err) {
      this._channels.delete(channel);
      channel.terminate();
      throw err;
    }
    this._sessions.delete(fresh);
    try {
      await session._usable();                  // a restart of the old worker: let its reload finish first
    } catch (err) {                             // released, lost or terminated while we were loading
      if (err.name === 'SessionReleased') { await this._releaseModel(channel, fresh._id); return session; }
      this._channels.delete(channel);
      channel.terminate();
      throw err;
    }
    const oldChannel = session._channel;
    const oldId = session._id;
    const meta = {
      id: fresh._id, inputs: fresh.inputs, outputs: fresh.outputs, backend: fresh.backend, name: fresh.name,
      bytes: fresh.bytes, warmup_error: fresh.warmupError,
      timings: { ...fresh.timings, swap: {
        worker_ms: t1 - t0, load_ms: fresh.timings.load_ms, warmup_ms: fresh.timings.warmup_ms,
        paused_ms: (spare ? 0 : info.paused_ms ?? 0) + (fresh.timings.paused_ms ?? 0), total_ms: performance.now() - t0,
      } },
    };
    session._bind(channel, meta);               // the switch: later calls go to the new worker
    session._source = source;
    session._warmup = warmup;
    session.swaps += 1;
    if (oldChannel === this._channel) this._channel = channel;
    this._releaseModel(oldChannel, oldId);      // in the background: waits for calls in flight
    return session;
  }

  /**
   * Start the worker the next swap() will use, now (a hot standby): the
   * swap then only loads and warms the model, and Pyodide's startup (seconds
   * of CPU) happens outside the swap, e.g. before traffic starts.
   * pace: as for swap(); default null (full speed: meant for idle moments).
   */
  async prepareSwap({ onProgress, pace = null } = {}) {
    this._spare ??= this._startWorker(onProgress, pace);
    const spare = this._spare;
    spare.catch(() => { if (this._spare === spare) this._spare = null; });
    await spare;
    if (this._terminated) throw this._terminated;
    return this;
  }

  // Free model `id` in the worker behind `channel`. The worker answers in
  // order, so the release follows the session's calls already sent; only a
  // worker left without models (other than the one new models load into)
  // waits for all its calls in flight, and is then terminated.
  async _releaseModel(channel, id) {
    channel.sessions.delete(id);
    if (channel.dead) return;
    if (!channel.sessions.size && channel !== this._channel) {
      await channel.whenIdle();
      if (channel.sessions.size || channel.dead) return;
      this._channels.delete(channel);
      channel.terminate(shimError('WorkerError', 'this worker was released after a swap'));
      return;
    }
    await channel.call('release', { id }).catch(() => {});
  }

  /** The number of workers this runtime runs (1; 2 while a swap loads or drains). */
  get workers() { return this._channels.size; }

  /**
   * Stop every worker, including a swap's or a standby's still starting:
   * swap() and prepareSwap() in flight reject, and every session of this
   * runtime rejects its calls from now on (a WorkerError).
   */
  terminate() {
    this._terminated ??= shimError('WorkerError', 'the runtime was terminated (rt.terminate()); load models into a new runtime');
    for (const channel of this._channels) channel.terminate(this._terminated);
    this._channels.clear();
    this._spare = null;
    this._sessions.clear();
  }
}

/**
 * Start Pyodide in a Web Worker and install numpy and wasm_infer.
 * baseURL: where wasm_infer.json (the site manifest), pyodide/ and the wheel are
 *   (default: the folder of this file). pyodideURL / wheelURL override the manifest.
 * onProgress(event): { phase, file?, loaded, total, done, ms? } for every download and startup phase.
 * env: environment variables for Python, e.g. { WASM_INFER_BACKEND: 'numpy' }.
 * timeout: the default deadline (ms) of every load and call of this runtime
 *   (default: none); a call's or load()'s own `timeout` overrides it.
 */
export async function init(options = {}) {
  const features = detectFeatures();
  if (!features.webassembly) throw new WasmInferError({ type: 'UnsupportedError', message: 'this browser has no WebAssembly' });
  if (!features.worker) throw new WasmInferError({ type: 'UnsupportedError', message: 'this browser has no Web Workers' });
  checkTimeout(options.timeout);
  const { channel, info, base } = await startWorker(options, options.onProgress);
  return new Runtime(channel, info, base, options);
}

export const WasmInfer = { init, detectFeatures, WasmInferError, ERROR_NAMES, MAX_RUNS };
export default WasmInfer;
