// Pyodide in a worker thread, for tests with time limits. Python that runs on
// the main thread blocks Node's event loop, so no timer can stop it and a
// node:test timeout never fires; here every call is a message, and a call whose
// `signal` aborts (node:test's `t.signal` does at the test's timeout) ends the
// thread. The next call boots a fresh one and replays `setup`, so one test that
// runs out of time fails alone.
//
//   const py = new PyodideThread({ packages: ['numpy'], wheel: true }, async (fresh) => { await fresh.writeFile(...); });
//   before(() => py.start(), { timeout: BOOT_MS });
//   after(() => py.terminate());
//   test('...', { timeout }, async (t) => { const x = await py.run('1 + 1', t); });
import { Worker } from 'node:worker_threads';

const WORKER = new URL('./pyodide_thread_worker.mjs', import.meta.url);

/** A time limit for booting Pyodide with its packages and running setup on a busy 2-core machine (idle: 3-6 s). */
export const BOOT_MS = 180_000;

/** An error raised in the thread; `name` is the Python exception's type for Python errors. */
export class PyodideThreadError extends Error {
  constructor({ name, message }) {
    super(message);
    this.name = name;
  }
}

// `ctx`: an AbortSignal, or anything with a `signal` (a node:test context), or nothing.
const signalOf = (ctx) => (ctx instanceof AbortSignal ? ctx : ctx?.signal);

export class PyodideThread {
  /**
   * options: as for bootPyodide(). setup(py): what every fresh interpreter needs
   * (files, imports), with py = { run, runJSON, writeFile } of that interpreter.
   */
  constructor(options = {}, setup = async () => {}) {
    this.options = options;
    this.setup = setup;
    this.thread = null;        // { worker, pending, ready } of the current interpreter
    this.nextId = 1;
  }

  /** Boot the interpreter and run setup, unless that is done or under way. */
  start() {
    if (!this.thread) {
      const worker = new Worker(WORKER);
      const thread = { worker, pending: new Map() };
      const failAll = (error) => {
        for (const p of thread.pending.values()) p.reject(error);
        thread.pending.clear();
      };
      worker.on('message', ({ id, ok, result, error }) => {
        const p = thread.pending.get(id);
        thread.pending.delete(id);
        if (ok) p?.resolve(result); else p?.reject(new PyodideThreadError(error));
      });
      worker.on('error', failAll);
      worker.on('exit', (code) => {
        if (this.thread === thread) this.thread = null;     // the next call boots a fresh one
        failAll(new Error(`the Pyodide thread ended (exit code ${code})`));
      });
      thread.failAll = failAll;
      this.thread = thread;
      const direct = {
        run: (code) => this._call(thread, 'run', { code }),
        runJSON: async (code) => JSON.parse(await this._call(thread, 'run', { code })),
        writeFile: (path, data) => this._call(thread, 'writeFile', { path, data }),
      };
      thread.ready = (async () => {
        await this._call(thread, 'boot', this.options);
        await this.setup(direct);
      })();
      thread.ready.catch(() => this._end(thread));
    }
    return this.thread.ready;
  }

  _call(thread, cmd, args, signal) {
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    if (thread !== this.thread) return Promise.reject(new Error('the Pyodide thread was terminated'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // The interpreter may be anywhere in the call: end it; the next call starts afresh.
      const onAbort = () => { this._end(thread); reject(signal.reason ?? new Error('aborted')); };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (f) => (v) => { signal?.removeEventListener('abort', onAbort); f(v); };
      thread.pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      thread.worker.postMessage({ id, cmd, args });
    });
  }

  // The current interpreter once it is ready; a boot that outlives `signal` is ended too.
  async _ready(signal) {
    const ready = this.start();
    const thread = this.thread;
    if (signal) {
      await new Promise((resolve, reject) => {
        const onAbort = () => { this._end(thread); reject(signal.reason ?? new Error('aborted')); };
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        ready.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    } else {
      await ready;
    }
    return thread;
  }

  async _do(cmd, args, ctx) {
    const signal = signalOf(ctx);
    return this._call(await this._ready(signal), cmd, args, signal);
  }

  /** Run Python `code`; resolves to its last expression as a JavaScript value (lists → arrays, dicts → objects). */
  run(code, ctx) { return this._do('run', { code }, ctx); }

  /** run(code), then JSON.parse of the string it returns. */
  async runJSON(code, ctx) { return JSON.parse(await this.run(code, ctx)); }

  /** Like runJSON, for code with top-level `await` (micropip.install, ...). */
  async runAsyncJSON(code, ctx) { return JSON.parse(await this._do('runAsync', { code }, ctx)); }

  /** Write `data` (bytes or text) at `path` in the interpreter's file system, making its folder. */
  writeFile(path, data, ctx) { return this._do('writeFile', { path, data }, ctx); }

  /** { heapBytes (wasm memory, which only grows), mallocInUse (bytes the C heap hands out, or NaN) }. */
  memory(ctx) { return this._do('memory', {}, ctx); }

  _end(thread) {
    if (!thread) return Promise.resolve();
    if (this.thread === thread) this.thread = null;
    thread.failAll(new Error('the Pyodide thread was terminated'));
    return thread.worker.terminate();
  }

  /** End the thread and whatever it runs. Safe at any time, and more than once. */
  async terminate() { await this._end(this.thread); }
}
