// The Web Worker behind wasm_infer.js: owns Pyodide, numpy, the wasm_infer
// wheel (whose _kernels.so Pyodide's loader preloads asynchronously) and the
// sessions. Messages in: { id, cmd, args }; out: { id, progress } while
// working, then { id, ok: true, result } or { id, ok: false, error }.
// Commands run one at a time, in arrival order (the shim's release() relies
// on that). A command stuck in Python cannot be interrupted from here: on a
// deadline the shim terminates this worker and starts another (wasm_infer.js).

let pyodide = null;
let bridge = null;          // the functions of wasm_infer_bridge.py, as PyProxies
let phase = null;           // the phase downloads are attributed to

// ---- progress ------------------------------------------------------------------

// Every fetch made while a phase is open — Pyodide's own (pyodide.asm.wasm,
// python_stdlib.zip, the lock file, package wheels) and ours — is counted as
// its body streams in, so onProgress sees bytes received for each download.
const realFetch = self.fetch.bind(self);
self.fetch = async (input, init) => {
  const response = await realFetch(input, init);
  const current = phase;
  if (!current || !response.ok || !response.body) return response;
  const url = response.url || String(input?.url ?? input);
  const file = decodeURIComponent(url.split('?')[0].split('/').pop());
  const encoded = response.headers.get('content-encoding');
  const total = encoded ? undefined : Number(response.headers.get('content-length')) || undefined;
  let loaded = 0;
  current.file(file, 0, total);
  const counter = new TransformStream({
    transform(chunk, controller) {
      pace();
      loaded += chunk.byteLength;
      current.file(file, loaded, total);
      controller.enqueue(chunk);
    },
  });
  return new Response(response.body.pipeThrough(counter), {
    status: response.status, statusText: response.statusText, headers: response.headers,
  });
};

// ---- pacing ----------------------------------------------------------------------

// While a swap boots this worker and loads its model, the old worker is still
// serving requests; on a machine with few cores the two compete for CPU and
// memory bandwidth. Pacing makes this worker sleep `sleepMs` after every
// `workMs` of work, at points reached often: Python's periodic signal check
// (every few dozen bytecode branches), WebAssembly compiles, download chunks.
// Atomics.wait on a private shared memory sleeps without burning CPU (and
// needs no cross-origin isolation: the memory never leaves this worker).
let pacing = null;            // { workMs, sleepMs } or null
let sliceStart = 0;
let pausedMs = 0;
const sleepCell = (() => {
  try { return new Int32Array(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer); } catch { return null; }
})();

function pace() {
  if (!pacing || !sleepCell) return;
  const now = performance.now();
  if (now - sliceStart < pacing.workMs) return;
  Atomics.wait(sleepCell, 0, 0, pacing.sleepMs);
  sliceStart = performance.now();
  pausedMs += sliceStart - now;
}

// Run command `fn` paced by `settings` ({ workMs, sleepMs }, or null: at full speed).
async function paced(settings, fn) {
  pacing = settings && settings.workMs > 0 && settings.sleepMs > 0 ? settings : null;
  sliceStart = performance.now();
  pausedMs = 0;
  pythonPacing(true);
  try {
    return await fn();
  } finally {
    pacing = null;
    pythonPacing(false);
  }
}

// Pyodide reads element 0 of its interrupt buffer every few dozen eval-loop
// checks (to raise KeyboardInterrupt); a getter there is a cheap, regular
// pacing point inside Python. Installed only while a command is paced.
const pacingBuffer = { get 0() { pace(); return 0; }, set 0(_) {} };
function pythonPacing(on) {
  pyodide?.setInterruptBuffer(on && pacing ? pacingBuffer : undefined);
}

// Python's start-up runs before that buffer can be set; it reads its standard
// library through Pyodide's file system, so the main module's file-system
// imports (__syscall_*, fd_*) are pacing points. Compiling and instantiating
// wasm (the start creates a few hundred small modules) are too.
function pacedImports(imports) {
  const env = imports?.env;
  if (typeof env?._Py_CheckEmscriptenSignals_Helper !== 'function') return imports;   // not Pyodide's main module
  for (const ns of new Set([env, imports.wasi_snapshot_preview1])) {
    for (const [name, f] of Object.entries(ns ?? {})) {
      if (typeof f !== 'function' || !/^(__syscall_|fd_)/.test(name) || f.paced) continue;
      const wrapped = Object.assign(function pacedImport(...args) { pace(); return f.apply(this, args); }, f);
      wrapped.paced = true;
      ns[name] = wrapped;
    }
  }
  return imports;
}

const RealModule = WebAssembly.Module;
const realInstantiate = WebAssembly.instantiate;
const realInstantiateStreaming = WebAssembly.instantiateStreaming;
WebAssembly.Module = new Proxy(RealModule, {
  construct(target, args, newTarget) { pace(); return Reflect.construct(target, args, newTarget); },
});
WebAssembly.instantiate = function instantiate(source, imports) {
  pace();
  return realInstantiate(source, pacedImports(imports));
};
if (realInstantiateStreaming) {
  WebAssembly.instantiateStreaming = function instantiateStreaming(source, imports) {
    return realInstantiateStreaming(source, pacedImports(imports));
  };
}

class Phase {
  constructor(name, report) {
    this.name = name;
    this.report = report;
    this.files = new Map();     // file → { loaded, total }
    this.t0 = performance.now();
    report({ phase: name, loaded: 0, total: undefined, done: false });
  }

  // loaded/total: the phase's bytes so far (all its files); fileLoaded/fileTotal: this file's.
  file(file, loaded, total) {
    this.files.set(file, { loaded, total });
    this.report({ phase: this.name, file, fileLoaded: loaded, fileTotal: total, ...this.bytes(), done: false });
  }

  bytes() {
    let loaded = 0; let total = 0; let known = true;
    for (const f of this.files.values()) {
      loaded += f.loaded;
      if (f.total === undefined) known = false; else total += f.total;
    }
    return { loaded, total: known && this.files.size ? total : undefined };
  }

  // extraBytes: bytes not seen by fetch (pyodide.asm.js arrives through import()).
  end(extraBytes = 0) {
    const ms = performance.now() - this.t0;
    const record = { phase: this.name, ms, bytes: this.bytes().loaded + extraBytes, files: [...this.files.keys()] };
    this.report({ phase: this.name, loaded: record.bytes, total: record.bytes, done: true, ms });
    return record;
  }
}

async function inPhase(name, report, fn, records) {
  const p = phase = new Phase(name, report);
  try {
    const extraBytes = await fn(p);
    const record = p.end(typeof extraBytes === 'number' ? extraBytes : 0);
    records?.push(record);
    return record;
  } catch (err) {
    err.phase ??= name;
    throw err;
  } finally {
    phase = null;
  }
}

async function fetchBytes(url, what) {
  let response;
  try {
    response = await self.fetch(url);
  } catch (err) {
    throw errorWith('NetworkError', `could not download ${what} from ${url}: ${err.message}`);
  }
  if (!response.ok) throw errorWith('NetworkError', `could not download ${what} from ${url}: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

function errorWith(type, message) {
  const err = new Error(message);
  err.pyType = type;
  return err;
}

// ---- Python <-> JS -----------------------------------------------------------------

// An exception raised in Python arrives as a PythonError whose message is the
// whole traceback; the bridge remembers the exception itself, so we can
// report its type and message exactly.
function describe(err) {
  if (err?.constructor?.name === 'PythonError' || err?.type) {
    let info = null;
    try {
      const last = bridge?.take_last_error();
      if (last) { info = JSON.parse(last); }
    } catch { /* fall through to parsing the traceback */ }
    if (info) return { ...info, phase: err.phase };
    const lines = String(err.message).trim().split('\n');
    const tail = lines[lines.length - 1] ?? '';
    const type = err.type || tail.split(':')[0];
    const message = tail.includes(': ') ? tail.slice(tail.indexOf(': ') + 2) : tail;
    return { type, pythonType: type, message, phase: err.phase };
  }
  return { type: err?.pyType || err?.name || 'Error', message: String(err?.message ?? err), phase: err?.phase, stack: err?.stack };
}

// Python's answer { meta: JSON, arrays: [ndarray] } → { name: { data, dims, type } } with copied typed arrays.
function outputsFromPython(result) {
  const meta = JSON.parse(result.get('meta'));
  const arrays = result.get('arrays');
  const outputs = {};
  const transfer = [];
  try {
    meta.outputs.forEach((o, i) => {
      if (o.type === 'string') { outputs[o.name] = { type: o.type, dims: o.dims, data: o.data }; return; }
      const arr = arrays.get(i);
      const buf = arr.getBuffer();
      try {
        const data = buf.data.slice();        // copy out of the wasm heap
        outputs[o.name] = { type: o.type, dims: o.dims, data };
        transfer.push(data.buffer);
      } finally {
        buf.release();
        arr.destroy();
      }
    });
  } finally {
    arrays.destroy();
    result.destroy();
  }
  return { outputs, timings: meta.timings, transfer };
}

// ---- commands ------------------------------------------------------------------------

async function initRuntime({ baseURL, env, features, pyodideURL, wheelURL }, report) {
  const phases = [];
  let manifest = {};
  if (!pyodideURL || !wheelURL) {
    const url = new URL('wasm_infer.json', baseURL).href;
    manifest = JSON.parse(new TextDecoder().decode(await fetchBytes(url, 'the site manifest')));
  }
  const indexURL = pyodideURL ?? new URL(manifest.pyodide ?? 'pyodide/', baseURL).href;
  const wheel = wheelURL ?? new URL(manifest.wheel, baseURL).href;

  await inPhase('Pyodide runtime', report, async () => {
    const { loadPyodide } = await import(new URL('pyodide.mjs', indexURL).href);
    pyodide = await loadPyodide({
      indexURL,
      env: { HOME: '/home/pyodide', ...env },
      stdout: (s) => console.log(s),
      stderr: (s) => console.warn(s),
    });
    pythonPacing(true);
    // pyodide.asm.js is loaded by import(), not fetch: count it from resource timing.
    const script = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/pyodide.asm.js'));
    return script?.decodedBodySize ?? 0;
  }, phases);
  // loadPackage reports failures through errorCallback rather than by rejecting.
  const install = async (what) => {
    const problems = [];
    await pyodide.loadPackage(what, { messageCallback: () => {}, errorCallback: (s) => problems.push(s) });
    if (problems.length) throw errorWith('NetworkError', `could not install ${what}: ${problems.join('; ')}`);
  };
  await inPhase('numpy', report, () => install('numpy'), phases);
  // A wheel URL: Pyodide installs it and preloads its _kernels.so asynchronously.
  await inPhase('wasm_infer wheel', report, () => install(wheel), phases);
  let runtime;
  await inPhase('Python setup', report, async () => {
    const code = new TextDecoder().decode(await fetchBytes(new URL('wasm_infer_bridge.py', import.meta.url).href, 'wasm_infer_bridge.py'));
    const dict = pyodide.globals.get('dict');
    const namespace = dict();
    dict.destroy();
    namespace.set('__name__', 'wasm_infer_bridge');
    pyodide.runPython(code, { globals: namespace, filename: 'wasm_infer_bridge.py' });
    bridge = Object.fromEntries(['runtime_info', 'load', 'run', 'benchmark', 'profile', 'release', 'take_last_error']
      .map((name) => [name, namespace.get(name)]));
    namespace.destroy();
    runtime = JSON.parse(bridge.runtime_info(JSON.stringify(features ?? {})));   // imports wasm_infer, loads the kernels
  }, phases);
  runtime.pyodide = pyodide.version;
  return { result: { runtime, timings: phases, manifest, ...(pacing ? { paused_ms: pausedMs } : {}) } };
}

async function loadModel({ url, blob, bytes, name, warmup }, report) {
  requireReady();
  const phases = [];
  let data;
  if (url) {
    const rec = await inPhase('model download', report, async () => { data = await fetchBytes(url, 'the model'); }, phases);
    rec.bytes = data.byteLength;
  } else if (blob) {
    await inPhase('model read', report, async (p) => {
      data = new Uint8Array(await blob.arrayBuffer());
      p.file(name, data.byteLength, data.byteLength);
    }, phases);
  } else {
    data = new Uint8Array(bytes);
  }
  // Python reports the two steps of a load: 'model load' (parse, optimise, plan) and 'warm-up'.
  const step = (phaseName, ms) => report(ms == null ? { phase: phaseName, loaded: 0, done: false } : { phase: phaseName, loaded: 0, done: true, ms });
  const meta = JSON.parse(bridge.load(data, name, Boolean(warmup), step));
  const download = phases[0];
  meta.timings = { ...(download ? { download_ms: download.ms } : {}), ...meta.timings, ...(pacing ? { paused_ms: pausedMs } : {}) };
  meta.bytes = data.byteLength;
  meta.name = name;
  return { result: meta };
}

const COMMANDS = {
  async init(args, report) {
    return paced(args.pace, () => initRuntime(args, report));
  },

  async load(args, report) {
    return paced(args.pace, () => loadModel(args, report));
  },

  async run({ id, feeds, outputNames }) {
    requireReady();
    const result = bridge.run(id, feeds, outputNames);
    const { outputs, timings, transfer } = outputsFromPython(result);
    return { result: { outputs, timings }, transfer };
  },

  async benchmark({ id, feeds, runs }, report) {
    requireReady();
    const progress = (done, ms) => report({ phase: 'benchmark', loaded: done, total: runs, done: done === runs, ms });
    return { result: JSON.parse(bridge.benchmark(id, feeds, runs, progress)) };
  },

  async profile({ id, feeds, runs }) {
    requireReady();
    return { result: JSON.parse(bridge.profile(id, feeds, runs)) };
  },

  async release({ id }) {
    if (bridge) bridge.release(id);
    return { result: null };
  },
};

function requireReady() {
  if (!bridge) throw errorWith('WorkerError', 'the runtime is not initialised (init failed?)');
}

let queue = Promise.resolve();
self.onmessage = (event) => {
  const { id, cmd, args } = event.data;
  const report = (progress) => self.postMessage({ id, progress });
  queue = queue.then(async () => {
    try {
      const fn = COMMANDS[cmd];
      if (!fn) throw errorWith('WorkerError', `unknown command ${cmd}`);
      const { result, transfer = [] } = await fn(args, report);
      self.postMessage({ id, ok: true, result }, transfer);
    } catch (err) {
      self.postMessage({ id, ok: false, error: describe(err) });
    }
  });
};
