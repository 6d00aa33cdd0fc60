// The worker side of tools/pyodide_thread.mjs: one Pyodide (booted by
// tools/pyodide_node.mjs, as everywhere else) answering messages
// { id, cmd, args } with { id, ok, result } or { id, ok: false, error }.
import { parentPort } from 'node:worker_threads';
import { bootPyodide } from './pyodide_node.mjs';

let py;

// Python values go back as plain JavaScript ones (lists → arrays, dicts → objects): proxies cannot cross threads.
function plain(value) {
  if (!value || typeof value.toJs !== 'function') return value;
  try {
    return value.toJs({ dict_converter: Object.fromEntries });
  } finally {
    value.destroy();
  }
}

// Bytes in use in the C heap (dlmalloc's mallinfo().uordblks), or NaN when it is not exported.
let mallinfoBuf = 0;
function mallocInUse() {
  const m = py._module;
  if (typeof m._mallinfo !== 'function') return NaN;
  mallinfoBuf ||= m._PyMem_RawMalloc(64);
  m._mallinfo(mallinfoBuf);
  return m.HEAP32[(mallinfoBuf >> 2) + 7] >>> 0;
}

const COMMANDS = {
  async boot(options) {
    const { pyodide, timings } = await bootPyodide(options);
    py = pyodide;
    return timings;
  },
  run: ({ code }) => plain(py.runPython(code)),
  runAsync: async ({ code }) => plain(await py.runPythonAsync(code)),   // top-level await allowed
  writeFile({ path, data }) {
    py.FS.mkdirTree(path.slice(0, path.lastIndexOf('/')) || '/');
    py.FS.writeFile(path, data);
  },
  memory: () => ({ heapBytes: py._module.HEAPU8.length, mallocInUse: mallocInUse() }),
};

parentPort.on('message', async ({ id, cmd, args }) => {
  try {
    parentPort.postMessage({ id, ok: true, result: await COMMANDS[cmd](args) });
  } catch (e) {
    parentPort.postMessage({ id, ok: false, error: { name: e?.type ?? e?.name ?? 'Error', message: String(e?.message ?? e) } });
  }
});
