// wasm_infer_channel.js — the JS shim's side of its Web Worker
// (wasm_infer.worker.js): what the engine can run, starting a worker with
// Pyodide, numpy and wasm_infer, and the channel of calls to it, each with an
// optional deadline (past it the call rejects with a DeadlineError and the
// runtime restarts the worker: Python stuck in a loop cannot be interrupted).
import { WasmInferError, shimError } from './wasm_infer_errors.js';

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

// The calls to one worker: each gets an id, its answer (or progress) comes back
// with that id; a worker that fails or is terminated fails every call in flight.
export class Channel {
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

// One worker with Pyodide, numpy and wasm_infer ready: { channel, info, base }.
// register(channel) is told of the worker at once, before it boots.
export async function startWorker({ baseURL, env = {}, pyodideURL, wheelURL, workerURL } = {}, onProgress, pace = null, register = null) {
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
