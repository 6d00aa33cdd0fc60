// A Web Worker for Node, enough for the JS shim (web/wasm_infer.js) to run
// its real worker script (web/wasm_infer.worker.js) with real Pyodide in a
// worker thread: `new Worker(url, { type: 'module' })`, postMessage with
// transfers, onmessage/onerror, terminate(). Node has no Web Worker; its
// worker_threads differ only in these names. Inside the thread, `self` is the
// global scope and fetch also reads file: URLs (the shim's files and the
// offline Pyodide are files here, not served).
import { Worker as ThreadWorker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { fileURLToPath } from 'node:url';

export class WebWorker {
  constructor(url, options = {}) {
    this.onmessage = null;
    this.onerror = null;
    this.onmessageerror = null;
    this.thread = new ThreadWorker(new URL(import.meta.url), { workerData: { url: String(url) }, name: options.name });
    this.thread.on('message', (data) => this.onmessage?.({ data }));
    this.thread.on('messageerror', () => this.onmessageerror?.({}));
    this.thread.on('error', (err) => this.onerror?.({ message: err?.message ?? String(err), preventDefault() {} }));
    this.terminated = false;
    this.exited = new Promise((resolve) => this.thread.once('exit', resolve));
    WebWorker.live.add(this);
    this.exited.then(() => WebWorker.live.delete(this));
  }

  postMessage(message, transfer = []) { this.thread.postMessage(message, transfer); }

  terminate() {
    this.terminated = true;
    this.thread.terminate();
  }
}
/** The threads started and not yet exited (a leak shows here). */
WebWorker.live = new Set();

/** Make `Worker` the Web Worker above (for the shim, on the main thread). */
export function installWebWorker() {
  globalThis.Worker = WebWorker;
}

if (!isMainThread && workerData?.url) {
  globalThis.self = globalThis;
  // The worker hands Pyodide its indexURL as a URL (what browsers need); Pyodide
  // in Node resolves it as a path, so file: URLs become paths here.
  const nodePath = createRequire(import.meta.url)('node:path');
  const resolve = nodePath.resolve;
  nodePath.resolve = (...parts) => resolve(...parts.map((p) => (typeof p === 'string' && p.startsWith('file:') ? fileURLToPath(p) : p)));
  syncBuiltinESMExports();
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = new URL(String(input?.url ?? input));
    if (url.protocol !== 'file:') return realFetch(input, init);
    try {
      const body = await readFile(url);
      return new Response(body, { status: 200, headers: { 'content-length': String(body.byteLength) } });
    } catch {
      return new Response(null, { status: 404, statusText: 'Not Found' });
    }
  };
  self.postMessage = (message, transfer = []) => parentPort.postMessage(message, transfer);
  await import(workerData.url);
  parentPort.on('message', (data) => self.onmessage?.({ data }));
}
