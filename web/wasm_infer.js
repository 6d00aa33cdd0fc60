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

const SIMD128_PROBE = probeModule([0xfd, 0x0c, ...new Array(16).fill(0), 0x1a]);              // v128.const; drop
const RELAXED_SIMD_PROBE = probeModule([
  0xfd, 0x0c, ...new Array(16).fill(0), 0xfd, 0x0c, ...new Array(16).fill(0),
  0xfd, 0x0c, ...new Array(16).fill(0), 0xfd, 0x85, 0x02, 0x1a]);                             // f32x4.relaxed_madd; drop

// A module with one function `() -> ()` whose body (no locals) is `code` + end.
function probeModule(code) {
  const body = [0x00, ...code, 0x0b];
  const section = [0x01, body.length, ...body];
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0a, section.length, ...section]);
}

let featureCache = null;

/** What this engine can run, detected once with WebAssembly.validate (failures are remembered too). */
export function detectFeatures() {
  if (!featureCache) {
    const validate = (bytes) => {
      try { return typeof WebAssembly === 'object' && WebAssembly.validate(bytes); } catch { return false; }
    };
    featureCache = Object.freeze({
      webassembly: typeof WebAssembly === 'object',
      simd128: validate(SIMD128_PROBE),
      relaxedSimd: validate(RELAXED_SIMD_PROBE),
      worker: typeof Worker === 'function',
      crossOriginIsolated: Boolean(globalThis.crossOriginIsolated),
    });
  }
  return featureCache;
}

/** An error raised inside Python (or the worker), with the Python type as `name`. */
export class WasmInferError extends Error {
  constructor(info) {
    super(info.message || 'unknown error');
    this.name = info.type || 'Error';
    this.pythonType = info.pythonType || null;   // e.g. "wasm_infer.errors.ModelError"
    this.phase = info.phase || null;             // e.g. "model download"
    if (info.stack) this.workerStack = info.stack;
  }
}

/**
 * The names the shim itself gives a WasmInferError (Python's types arrive as
 * they are, e.g. ModelError, ResourceError, DeadlineError):
 *   InputError       a bad argument: feeds, dims, outputNames, runs, timeout
 *   TypeError        a bad source for load(), a foreign session for swap()
 *   DeadlineError    the call passed its deadline; its worker was restarted
 *   WorkerError      the worker failed, was restarted under this call (another
 *                    call passed its deadline: call again) or rt.terminate() ran
 *   SessionLost      after a restart the model could not be loaded again: load it anew
 *   SessionReleased  the session was released
 */
export const ERROR_NAMES = Object.freeze(['InputError', 'TypeError', 'DeadlineError', 'WorkerError', 'SessionLost', 'SessionReleased']);

const shimError = (type, message) => new WasmInferError({ type, message });
const inputError = (message) => shimError('InputError', message);

// ---- the worker connection ---------------------------------------------------

class Channel {
  constructor(worker) {
    this.worker = worker;
    this.nextId = 1;
    this.pending = new Map();
    this.dead = null;
    this.sessions = new Set();  // ids of the live sessions this worker holds
    this.idleWaiters = [];
    worker.onmessage = (e) => this.receive(e.data);
    worker.onerror = (e) => {
      e.preventDefault?.();
      this.fail(new WasmInferError({ type: 'WorkerError', message: `the wasm_infer worker failed: ${e.message || 'could not load wasm_infer.worker.js'}` }));
    };
    worker.onmessageerror = () => this.fail(new WasmInferError({ type: 'WorkerError', message: 'a message from the worker could not be read' }));
  }

  // timeout (ms): past it the call rejects with a DeadlineError and
  // onDeadline(this) runs (the runtime restarts this worker: Python stuck in
  // a loop cannot be interrupted otherwise).
  call(cmd, args = {}, { onProgress, transfer = [], timeout = null } = {}) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject, onProgress, timer: null };
      if (timeout != null && timeout !== Infinity) {
        entry.timer = setTimeout(() => {
          if (this.pending.get(id) !== entry) return;
          this.pending.delete(id);
          reject(shimError('DeadlineError', `${cmd}() did not finish within ${timeout} ms; its worker was stopped and restarted`));
          this.onDeadline?.(this);
        }, timeout);
      }
      this.pending.set(id, entry);
      this.worker.postMessage({ id, cmd, args }, transfer);
    });
  }

  receive(msg) {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.progress) {
      try { p.onProgress?.(msg.progress); } catch (err) { console.error('onProgress callback threw', err); }
      return;
    }
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new WasmInferError(msg.error));
    if (!this.pending.size) this.notifyIdle();
  }

  // Resolves once no call is outstanding (at once if none is).
  whenIdle() {
    if (!this.pending.size || this.dead) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  notifyIdle() {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  fail(error) {
    this.dead ??= error;
    for (const p of this.pending.values()) { clearTimeout(p.timer); p.reject(error); }
    this.pending.clear();
    this.notifyIdle();
  }

  terminate(error = shimError('WorkerError', 'the runtime was terminated')) {
    this.worker.terminate();
    this.fail(error);
  }
}

// ---- tensors -----------------------------------------------------------------

const TYPE_OF_ARRAY = new Map([
  [Float32Array, 'float32'], [Float64Array, 'float64'], [Int8Array, 'int8'], [Uint8Array, 'uint8'],
  [Int16Array, 'int16'], [Uint16Array, 'uint16'], [Int32Array, 'int32'], [Uint32Array, 'uint32'],
  [BigInt64Array, 'int64'], [BigUint64Array, 'uint64'], [Uint8ClampedArray, 'uint8'],
]);

// {data, dims[, type]} (or an onnxruntime-web Tensor, which has the same fields) → a message-ready feed.
function toFeed(name, value) {
  const what = `input ${JSON.stringify(name)}`;
  if (!value || typeof value !== 'object') throw inputError(`${what}: expected { data, dims }, got ${value}`);
  const { data } = value;
  if (!Array.isArray(data) && !ArrayBuffer.isView(data)) throw inputError(`${what}: data must be a typed array (e.g. Float32Array) or an array`);
  const dims = checkDims(what, value.dims ?? [data.length], data.length);
  let type = value.type;
  if (Array.isArray(data)) {
    if (type === 'string') return { type, dims, data: data.map(String) };
    type ||= 'float32';
    return { type, dims, data: typedFrom(type, data) };
  }
  const natural = TYPE_OF_ARRAY.get(data.constructor);
  if (!type || type === natural || (type === 'bool' && data instanceof Uint8Array) || (type === 'float16' && data instanceof Uint16Array)) {
    return { type: type || natural, dims, data };
  }
  throw inputError(`${what}: type '${type}' does not match its ${data.constructor.name}`);
}

// Every dim a non-negative integer (a safe one: 1e20 or NaN never reaches
// Python), and their product the data's length.
function checkDims(what, dims, length) {
  if (!Array.isArray(dims) && !ArrayBuffer.isView(dims)) throw inputError(`${what}: dims must be an array of integers, got ${describeValue(dims)}`);
  const out = Array.from(dims, (d) => (typeof d === 'bigint' && d >= 0n && d <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(d) : d));
  let count = 1;
  for (const d of out) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw inputError(`${what}: dims ${describeValue(dims)}: every dim must be a non-negative integer, not ${describeValue(d)}`);
    }
    count *= d;
  }
  if (count !== length) throw inputError(`${what}: dims ${describeValue(dims)} hold ${count} values, but data has ${length}`);
  return out;
}

function describeValue(v) {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' || v == null) return String(v);
  try { return JSON.stringify(Array.isArray(v) || ArrayBuffer.isView(v) ? Array.from(v, (x) => (typeof x === 'number' ? x : String(x))) : v) ?? String(v); } catch { return String(v); }
}

function typedFrom(type, values) {
  const Ctor = [...TYPE_OF_ARRAY].find(([, t]) => t === type)?.[0];
  if (!Ctor) throw inputError(`cannot make a ${type} tensor from a plain array; pass a typed array`);
  return Ctor === BigInt64Array || Ctor === BigUint64Array ? Ctor.from(values, BigInt) : Ctor.from(values);
}

function toFeeds(feeds) {
  if (!feeds || typeof feeds !== 'object' || Array.isArray(feeds)) throw inputError('feeds must be an object { inputName: { data, dims } }');
  return Object.fromEntries(Object.entries(feeds).map(([name, value]) => [name, toFeed(name, value)]));
}

// outputNames: absent (all outputs), one name, or an array of names.
function toOutputNames(names) {
  if (names == null) return null;
  if (typeof names === 'string') return [names];
  if (Array.isArray(names) && names.every((n) => typeof n === 'string')) return names;
  throw inputError(`outputNames must be an output name or an array of them, got ${describeValue(names)}`);
}

/** The most runs one benchmark() or profile() call makes (the worker serves nothing else meanwhile). */
export const MAX_RUNS = 10_000;

function checkRuns(runs) {
  if (!Number.isSafeInteger(runs) || runs < 1 || runs > MAX_RUNS) {
    throw inputError(`runs must be an integer from 1 to ${MAX_RUNS}, got ${describeValue(runs)}`);
  }
  return runs;
}

// A deadline in ms: a positive number; null, undefined or Infinity: none.
function checkTimeout(timeout) {
  if (timeout == null || timeout === Infinity) return timeout ?? null;
  if (typeof timeout !== 'number' || !(timeout > 0)) throw inputError(`timeout must be a positive number of milliseconds (or null: none), got ${describeValue(timeout)}`);
  return timeout;
}

// ---- public API ----------------------------------------------------------------

// How a swap paces the new worker while the old one serves: sleep sleepMs after every workMs of work.
export const SWAP_PACE = Object.freeze({ workMs: 3, sleepMs: 7 });

/** A loaded model. */
export class Session {
  constructor(channel, meta) {
    this._bind(channel, meta);
    this.released = false;
    this.swaps = 0;                             // how many times rt.swap() replaced the model
    this.restarts = 0;                          // how many times a deadline restarted its worker (and it reloaded)
    this.timeout = null;                        // default deadline of its calls, ms (null: the runtime's)
    this._recovering = null;                    // a reload after a restart, while it runs
    this._lost = null;                          // the error every call rejects with, once the reload failed
  }

  // Point this session at model `meta.id` of the worker behind `channel`: one
  // synchronous step, so every later call goes to the new model (rt.swap).
  _bind(channel, meta) {
    this._channel = channel;
    this._id = meta.id;
    channel.sessions.add(meta.id);
    this.inputs = meta.inputs;                  // [{ name, dims, type }] (symbolic dims are strings or null)
    this.outputs = meta.outputs;
    this.inputNames = meta.inputs.map((i) => i.name);     // as in onnxruntime-web
    this.outputNames = meta.outputs.map((o) => o.name);
    this.backend = meta.backend;                // "simd128", ..., or "numpy"
    this.name = meta.name;
    this.bytes = meta.bytes;
    this.timings = meta.timings;                // { download_ms?, load_ms, warmup_ms, warmup_runs_ms }
    this.warmupError = meta.warmup_error || null;
  }

  // The session's state before any call: released, terminated, lost, or reloading (wait).
  async _usable() {
    for (;;) {
      if (this.released) throw shimError('SessionReleased', 'this session was released');
      const dead = this._owner?._terminated;
      if (dead) throw dead;
      if (this._lost) throw this._lost;
      if (!this._recovering) return;
      await this._recovering;
    }
  }

  async _call(cmd, args, { timeout, ...opts } = {}) {
    await this._usable();
    const ms = checkTimeout(timeout === undefined ? this.timeout ?? this._owner?.timeout ?? null : timeout);
    return this._channel.call(cmd, { id: this._id, ...args }, { ...opts, timeout: ms });
  }

  /**
   * Run once. feeds: { name: { data: TypedArray, dims: number[] } } → { outputs: { name: { data, dims, type } }, timings }.
   * outputNames: one name or an array of names (default: all). timeout: ms (default session.timeout, then the runtime's).
   */
  async run(feeds, { outputNames, timeout } = {}) {
    const t0 = performance.now();
    const result = await this._call('run', { feeds: toFeeds(feeds), outputNames: toOutputNames(outputNames) }, { timeout });
    result.timings.total_ms = performance.now() - t0;
    return result;
  }

  /** Run `runs` (1 to MAX_RUNS) times on the same feeds; per-run times measured inside the worker. */
  async benchmark(feeds, { runs = 50, onProgress, timeout } = {}) {
    return this._call('benchmark', { feeds: toFeeds(feeds), runs: checkRuns(runs) }, { onProgress, timeout });
  }

  /** Per-node and per-op-type times (mean over `runs`, 1 to MAX_RUNS), on `feeds` or the feeds of the last run. */
  async profile(feeds = null, { runs = 5, timeout } = {}) {
    return this._call('profile', { feeds: feeds ? toFeeds(feeds) : null, runs: checkRuns(runs) }, { timeout });
  }

  /**
   * Free the model's memory in the worker. Settles once the worker has
   * processed this session's calls sent before it (the worker answers in
   * order), whatever other sessions send meanwhile.
   */
  async release() {
    if (this.released) return;
    this.released = true;
    this._owner?._sessions.delete(this);
    if (this._recovering || this._lost) return;          // the reload releases it, or there is nothing left
    await this._owner?._releaseModel(this._channel, this._id);
  }
}

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

// load()'s source → { url } | { blob } | { bytes }, with the name the model goes by.
// Bytes are copied: the caller's buffer stays usable, and a restart can load them again.
function sourceOf(source, name, baseURL) {
  if (typeof source === 'string' || source instanceof URL) {
    const url = new URL(source, globalThis.location?.href ?? baseURL).href;
    return { url, name: name ?? decodeURIComponent(url.split('/').pop().split('?')[0]) };
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) return { blob: source, name: name ?? source.name ?? 'model.onnx' };
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const view = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    return { bytes: view.slice(), name: name ?? 'model.onnx' };
  }
  throw shimError('TypeError', 'load(source): source must be a URL, a File/Blob or an ArrayBuffer');
}

// The 'load' command's arguments for a source (bytes are copied into the message, not transferred: the shim keeps them).
function loadArgs({ url, blob, bytes, name }) {
  return { url, blob, bytes, name };
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

// One worker with Pyodide, numpy and wasm_infer ready: { channel, info, base }.
// register(channel) is told of the worker at once, before it boots.
async function startWorker({ baseURL, env = {}, pyodideURL, wheelURL, workerURL } = {}, onProgress, pace = null, register = null) {
  const features = detectFeatures();
  const base = new URL(baseURL ?? './', import.meta.url).href.replace(/\/?$/, '/');
  const worker = new Worker(workerURL ?? new URL('wasm_infer.worker.js', import.meta.url), { type: 'module', name: 'wasm_infer' });
  const channel = new Channel(worker);
  register?.(channel);
  try {
    const info = await channel.call('init', {
      baseURL: base, env, features, pace,
      pyodideURL: pyodideURL && new URL(pyodideURL, base).href,
      wheelURL: wheelURL && new URL(wheelURL, base).href,
    }, { onProgress });
    return { channel, info, base };
  } catch (err) {
    channel.terminate();
    throw err;
  }
}

export const WasmInfer = { init, detectFeatures, WasmInferError, ERROR_NAMES, MAX_RUNS };
export default WasmInfer;
