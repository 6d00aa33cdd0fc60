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
// `InputError`, ...) and whose `message` is the Python message.

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

  call(cmd, args = {}, { onProgress, transfer = [] } = {}) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
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
    this.dead = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.notifyIdle();
  }

  terminate() {
    this.worker.terminate();
    this.fail(new WasmInferError({ type: 'WorkerError', message: 'the runtime was terminated' }));
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
  if (!value || typeof value !== 'object') throw new WasmInferError({ type: 'InputError', message: `input ${JSON.stringify(name)}: expected { data, dims }, got ${value}` });
  const { data } = value;
  const dims = Array.from(value.dims ?? [data?.length ?? 0], Number);
  let type = value.type;
  if (Array.isArray(data)) {
    if (type === 'string') return { type, dims, data: data.map(String) };
    type ||= 'float32';
    return { type, dims, data: typedFrom(type, data) };
  }
  if (!ArrayBuffer.isView(data)) throw new WasmInferError({ type: 'InputError', message: `input ${JSON.stringify(name)}: data must be a typed array (e.g. Float32Array) or an array` });
  const natural = TYPE_OF_ARRAY.get(data.constructor);
  if (!type || type === natural || (type === 'bool' && data instanceof Uint8Array) || (type === 'float16' && data instanceof Uint16Array)) {
    return { type: type || natural, dims, data };
  }
  throw new WasmInferError({ type: 'InputError', message: `input ${JSON.stringify(name)}: type '${type}' does not match its ${data.constructor.name}` });
}

function typedFrom(type, values) {
  const Ctor = [...TYPE_OF_ARRAY].find(([, t]) => t === type)?.[0];
  if (!Ctor) throw new WasmInferError({ type: 'InputError', message: `cannot make a ${type} tensor from a plain array; pass a typed array` });
  return Ctor === BigInt64Array || Ctor === BigUint64Array ? Ctor.from(values, BigInt) : Ctor.from(values);
}

function toFeeds(feeds) {
  if (!feeds || typeof feeds !== 'object') throw new WasmInferError({ type: 'InputError', message: 'feeds must be an object { inputName: { data, dims } }' });
  return Object.fromEntries(Object.entries(feeds).map(([name, value]) => [name, toFeed(name, value)]));
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

  _call(cmd, args, opts) {
    if (this.released) return Promise.reject(new WasmInferError({ type: 'SessionReleased', message: 'this session was released' }));
    return this._channel.call(cmd, { id: this._id, ...args }, opts);
  }

  /** Run once. feeds: { name: { data: TypedArray, dims: number[] } } → { outputs: { name: { data, dims, type } }, timings }. */
  async run(feeds, { outputNames } = {}) {
    const t0 = performance.now();
    const result = await this._call('run', { feeds: toFeeds(feeds), outputNames: outputNames ?? null });
    result.timings.total_ms = performance.now() - t0;
    return result;
  }

  /** Run `runs` times on the same feeds; per-run times measured inside the worker. */
  async benchmark(feeds, { runs = 50, onProgress } = {}) {
    return this._call('benchmark', { feeds: toFeeds(feeds), runs }, { onProgress });
  }

  /** Per-node and per-op-type times (mean over `runs`), on `feeds` or the feeds of the last run. */
  async profile(feeds = null, { runs = 5 } = {}) {
    return this._call('profile', { feeds: feeds ? toFeeds(feeds) : null, runs });
  }

  /** Free the model's memory in the worker. */
  async release() {
    if (this.released) return;
    this.released = true;
    await this._owner?._releaseModel(this._channel, this._id);
  }
}

/** A started runtime: a worker with Pyodide, numpy and wasm_infer ready. */
export class Runtime {
  constructor(channel, info, baseURL, options) {
    this._channel = channel;                    // the worker new models load into
    this._options = options;                    // init() options, to start more workers (swap)
    this._channels = new Set([channel]);        // every live worker
    this.baseURL = baseURL;
    this.info = info.runtime;                   // wasm_infer.runtime_info() + pyodide version
    this.manifest = info.manifest;
    this.features = detectFeatures();
    this.timings = info.timings;                // [{ phase, ms, bytes }]
  }

  /** Load a model from a URL (string or URL), a File/Blob, an ArrayBuffer or a typed array. */
  async load(source, options = {}) {
    return this._loadInto(this._channel, source, options);
  }

  async _loadInto(channel, source, { onProgress, warmup = true, name, pace } = {}) {
    const args = { warmup, pace };
    const transfer = [];
    if (typeof source === 'string' || source instanceof URL) {
      args.url = new URL(source, globalThis.location?.href ?? this.baseURL).href;
      args.name = name ?? decodeURIComponent(args.url.split('/').pop().split('?')[0]);
    } else if (typeof Blob !== 'undefined' && source instanceof Blob) {
      args.blob = source;
      args.name = name ?? source.name ?? 'model.onnx';
    } else if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
      const view = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
      args.bytes = view.slice().buffer;          // a copy: the caller's buffer stays usable
      transfer.push(args.bytes);
      args.name = name ?? 'model.onnx';
    } else {
      throw new WasmInferError({ type: 'TypeError', message: 'load(source): source must be a URL, a File/Blob or an ArrayBuffer' });
    }
    const meta = await channel.call('load', args, { onProgress, transfer });
    const session = new Session(channel, meta);
    session._owner = this;
    return session;
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
   */
  async swap(session, newSource, { onProgress, warmup = true, name, pace = SWAP_PACE } = {}) {
    if (!(session instanceof Session) || session._owner !== this) {
      throw new WasmInferError({ type: 'TypeError', message: 'swap(session, source): session must be a Session of this runtime' });
    }
    if (session.released) throw new WasmInferError({ type: 'SessionReleased', message: 'this session was released' });
    const t0 = performance.now();
    const spare = this._spare;
    this._spare = null;
    const { channel, info } = await (spare ?? startWorker(this._options, onProgress, pace));
    this._channels.add(channel);
    const t1 = performance.now();
    let fresh;
    try {
      fresh = await this._loadInto(channel, newSource, { onProgress, warmup, name, pace });
    } catch (err) {
      this._channels.delete(channel);
      channel.terminate();
      throw err;
    }
    if (session.released) {                     // released while we were loading: nothing to swap
      await this._releaseModel(channel, fresh._id);
      return session;
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
    this._spare ??= startWorker(this._options, onProgress, pace);
    const { channel } = await this._spare;
    this._channels.add(channel);
    return this;
  }

  // Free model `id` in the worker behind `channel` once its calls in flight
  // have answered; a worker left without models, other than the one new
  // models load into, is terminated.
  async _releaseModel(channel, id) {
    channel.sessions.delete(id);
    if (channel.dead) return;
    await channel.whenIdle();
    if (!channel.sessions.size && channel !== this._channel) {
      this._channels.delete(channel);
      channel.worker.terminate();
      channel.fail(new WasmInferError({ type: 'WorkerError', message: 'this worker was released after a swap' }));
      return;
    }
    await channel.call('release', { id }).catch(() => {});
  }

  /** The number of workers this runtime runs (1; 2 while a swap loads or drains). */
  get workers() { return this._channels.size; }

  /** Stop the workers; every session of this runtime becomes unusable. */
  terminate() {
    for (const channel of this._channels) channel.terminate();
    this._channels.clear();
  }
}

/**
 * Start Pyodide in a Web Worker and install numpy and wasm_infer.
 * baseURL: where wasm_infer.json (the site manifest), pyodide/ and the wheel are
 *   (default: the folder of this file). pyodideURL / wheelURL override the manifest.
 * onProgress(event): { phase, file?, loaded, total, done, ms? } for every download and startup phase.
 * env: environment variables for Python, e.g. { WASM_INFER_BACKEND: 'numpy' }.
 */
export async function init(options = {}) {
  const features = detectFeatures();
  if (!features.webassembly) throw new WasmInferError({ type: 'UnsupportedError', message: 'this browser has no WebAssembly' });
  if (!features.worker) throw new WasmInferError({ type: 'UnsupportedError', message: 'this browser has no Web Workers' });
  const { channel, info, base } = await startWorker(options, options.onProgress);
  return new Runtime(channel, info, base, options);
}

// One worker with Pyodide, numpy and wasm_infer ready: { channel, info, base }.
async function startWorker({ baseURL, env = {}, pyodideURL, wheelURL, workerURL } = {}, onProgress, pace = null) {
  const features = detectFeatures();
  const base = new URL(baseURL ?? './', import.meta.url).href.replace(/\/?$/, '/');
  const worker = new Worker(workerURL ?? new URL('wasm_infer.worker.js', import.meta.url), { type: 'module', name: 'wasm_infer' });
  const channel = new Channel(worker);
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

export const WasmInfer = { init, detectFeatures, WasmInferError };
export default WasmInfer;
