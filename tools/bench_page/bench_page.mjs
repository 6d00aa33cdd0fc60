// `python3 build.py bench` in Chromium: the page boots Pyodide (numpy and the
// wasm_infer wheel, offline, from this server) and onnxruntime-web's wasm
// build on the main thread, runs the shared protocol (bench_core.mjs) and
// leaves the result in window.__bench for the Playwright driver
// (tools/bench_chromium.mjs). config.json is written by tools/bench.py.
import { runBench } from './bench_core.mjs';

window.__bench = { done: false, error: null, result: null };
const logEl = document.getElementById('log');
const log = (msg) => {
  console.log(msg);
  logEl.textContent += msg + '\n';
};

async function bytesOf(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

try {
  const config = await (await fetch('config.json', { cache: 'no-store' })).json();
  const t0 = performance.now();
  const { loadPyodide } = await import('./pyodide/pyodide.mjs');
  const pyodide = await loadPyodide({ indexURL: new URL('./pyodide/', location.href).href });
  const t1 = performance.now();
  await pyodide.loadPackage(['numpy', new URL(`./wheels/${config.wheel_name}`, location.href).href],
    { messageCallback: () => {} });
  log(`Pyodide ${pyodide.version} booted in ${(t1 - t0).toFixed(0)} ms, packages in ${(performance.now() - t1).toFixed(0)} ms`);
  const ort = await import('./ort/ort.wasm.min.mjs');
  const benchPy = await (await fetch('bench_pyodide.py')).text();
  const result = await runBench({
    pyodide,
    ort,
    benchPy,
    readBytes: bytesOf,
    log,
    runtime: 'chromium',
  }, {
    ...config,
    // zoo models (--zoo) are served from /zoo/, with their feeds and native outputs
    models: config.models.map((m) => (m.feeds ? {
      key: m.key, ref: `./zoo/${m.file}`, native_ref: `./zoo/${m.native_ref_file}`,
      feeds: m.feeds.map((f) => ({ ...f, ref: `./zoo/${f.file}` })),
      ...(m.photos ? { photos: m.photos.map((p) => ({ name: p.name, ref: `./photos/${p.file}` })) } : {}),
    } : { key: m.key, ref: `./models/${m.file}` })),
    step_cost: config.step_cost && { ...config.step_cost, models: config.step_cost.models.map((m) => ({ ...m, ref: `./models/${m.file}` })) },
  });
  result.runtime.user_agent = navigator.userAgent;
  result.runtime.cross_origin_isolated = self.crossOriginIsolated;
  window.__bench.result = result;
} catch (e) {
  log(`error: ${e?.stack ?? e}`);
  window.__bench.error = String(e?.message ?? e);
}
window.__bench.done = true;
