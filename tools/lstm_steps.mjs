// What an LSTM's sequence length costs inside Pyodide in Node: the LSTM of
// tests/hostile_models.long_lstm (hidden size 4, one feature) over --steps sequences of random
// numbers, a new session each. Per length: the first run (recording, planning and binding the
// kernels), the memory it leaves held (tracemalloc), the second run (the planned steady state,
// us per step); at the end the wasm heap. A binder per step used to make the first run cost
// ~0.45 ms and ~1 KiB a step; `bind_lstm_steps` binds a sequence once.
//
//   node tools/lstm_steps.mjs [--steps 1000,100000,300000] [--wheel PATH]
//
// --wheel: measure this wasm_infer wheel instead of the built one (build/dist), to compare two versions.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, bootPyodide, hostPython } from './pyodide_node.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const steps = opt('--steps', '1000,100000,300000').split(',').map(Number);
const wheel = opt('--wheel', true);
if (!steps.every((n) => Number.isInteger(n) && n > 0) || !wheel) {
  throw new Error('usage: node tools/lstm_steps.mjs [--steps N,N,...] [--wheel PATH]');
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm_infer_lstm_'));
try {
  execFileSync(hostPython(), ['-c', `
import sys; sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'tests'))})
import hostile_models
open("${dir}/long_lstm.onnx", "wb").write(hostile_models.long_lstm())
`], { timeout: 120_000 });
  const { pyodide } = await bootPyodide({ packages: ['numpy'], wheel });
  pyodide.FS.writeFile('/long_lstm.onnx', readFileSync(path.join(dir, 'long_lstm.onnx')));
  const rows = JSON.parse(pyodide.runPython(`
import json, time, tracemalloc, numpy as np, wasm_infer
data, rows = open("/long_lstm.onnx", "rb").read(), []
for t in ${JSON.stringify(steps)}:
    sess = wasm_infer.InferenceSession(data)
    x = np.random.default_rng(0).standard_normal((t, 1, 1)).astype(np.float32)
    tracemalloc.start()
    t0 = time.perf_counter()
    sess.run(None, {"x": x})
    t1 = time.perf_counter()
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    sess.run(None, {"x": x})
    t2 = time.perf_counter()
    rows.append([t, t1 - t0, held, t2 - t1])
    del sess
json.dumps(rows)
`));
  console.log('LSTM (hidden 4, one feature) inside Pyodide, a new session per length');
  for (const [t, first, held, second] of rows) {
    console.log(`  ${String(t).padStart(8)} steps: first run ${first.toFixed(2).padStart(7)} s, ` +
                `${(held / 2 ** 20).toFixed(1).padStart(6)} MiB held after it, second run ${(second * 1e3).toFixed(1).padStart(7)} ms ` +
                `(${(second / t * 1e6).toFixed(2)} us/step)`);
  }
  console.log(`wasm heap at the end: ${(pyodide._module.HEAPU8.length / 2 ** 20).toFixed(0)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
