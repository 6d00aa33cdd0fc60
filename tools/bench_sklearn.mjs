// scikit-learn models (tools/sklearn_bench_models.py: a scaled logistic
// regression, a 100-tree random forest, 100-tree gradient boosting, an RBF SVC
// with probabilities) run by wasm_infer in Pyodide and by onnxruntime-web
// (wasm backend, one thread) in the same Node process: p50 of --runs runs
// after 5 warm-up runs, batches of 1 and 256 rows, and the ratio.
//
//   node tools/bench_sklearn.mjs [--runs 30]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { ROOT, bootPyodide, hostPython } from './pyodide_node.mjs';

const args = process.argv.slice(2);
const runs = Number(args.includes('--runs') ? args[args.indexOf('--runs') + 1] : 30);
if (!(runs >= 1)) throw new Error('usage: node tools/bench_sklearn.mjs [--runs N]');
const NAMES = ['logistic', 'forest100', 'boosting100', 'svc_rbf'];
const p50 = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

function npyFloat32(buf) {          // the 2-D float32 arrays np.save writes
  const headerLength = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + headerLength).toString();
  const [rows, cols] = header.match(/\((\d+), (\d+)\)/).slice(1).map(Number);
  const start = buf.byteOffset + 10 + headerLength;
  return { data: new Float32Array(buf.buffer.slice(start, start + rows * cols * 4)), cols };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm_infer_sklearn_bench_'));
try {
  execFileSync(hostPython(), [path.join(ROOT, 'tools', 'sklearn_bench_models.py'), dir], { timeout: 600_000 });
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  const { pyodide } = await bootPyodide({ packages: ['numpy'], wheel: true });
  pyodide.FS.mkdirTree('/sk');
  for (const n of NAMES) {
    for (const f of [`${n}.onnx`, `${n}.x.npy`]) pyodide.FS.writeFile(`/sk/${f}`, readFileSync(path.join(dir, f)));
  }
  console.log(`scikit-learn models, p50 of ${runs} runs (ms): wasm_infer in Pyodide / onnxruntime-web (wasm, 1 thread)`);
  for (const n of NAMES) {
    const x = npyFloat32(readFileSync(path.join(dir, `${n}.x.npy`)));
    const peer = await ort.InferenceSession.create(readFileSync(path.join(dir, `${n}.onnx`)), { executionProviders: ['wasm'] });
    for (const batch of [1, 256]) {
      const feeds = { X: new ort.Tensor('float32', x.data.slice(0, batch * x.cols), [batch, x.cols]) };
      const times = [];
      for (let i = 0; i < 5 + runs; i++) {
        const t = performance.now();
        await peer.run(feeds);
        if (i >= 5) times.push(performance.now() - t);
      }
      const ours = JSON.parse(pyodide.runPython(`
import json, time, numpy as np, wasm_infer
sess, x = wasm_infer.InferenceSession("/sk/${n}.onnx"), np.load("/sk/${n}.x.npy")[:${batch}]
times = []
for i in range(5 + ${runs}):
    t = time.perf_counter()
    sess.run(None, {"X": x})
    if i >= 5:
        times.append((time.perf_counter() - t) * 1e3)
json.dumps(sorted(times)[len(times) // 2])`));
      const theirs = p50(times);
      console.log(`  ${n.padEnd(12)} batch ${String(batch).padStart(3)}: ${ours.toFixed(2).padStart(7)} / ${theirs.toFixed(2).padStart(6)}  ratio ${(ours / theirs).toFixed(2)}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);    // onnxruntime-web may keep handles open
