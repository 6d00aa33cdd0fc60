// `python3 build.py bench`, Node side: boot the offline Pyodide with numpy and
// the wasm_infer wheel, load onnxruntime-web (npm, wasm backend) in the same
// process, and run the shared protocol (tools/bench_page/bench_core.mjs).
// Usage: node tools/bench_node.mjs CONFIG.json   (written by tools/bench.py;
// config.wheel is the wheel to install, default build/dist's)
// Prints one JSON object on stdout; progress goes to stderr.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { bootPyodide, ROOT, wheelPath } from './pyodide_node.mjs';
import { runBench } from './bench_page/bench_core.mjs';

const log = (msg) => process.stderr.write(`[node] ${msg}\n`);
try {
  const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const wheel = config.wheel ?? await wheelPath();
  const { pyodide, timings } = await bootPyodide({ packages: ['numpy', wheel] });
  log(`Pyodide ${pyodide.version} booted in ${timings.boot_ms.toFixed(0)} ms, packages in ${timings.install_ms.toFixed(0)} ms`);
  const result = await runBench({
    pyodide,
    ort,
    benchPy: readFileSync(path.join(ROOT, 'tools', 'bench_pyodide.py'), 'utf8'),
    readBytes: async (ref) => new Uint8Array(readFileSync(ref)),
    log,
    runtime: 'node',
  }, config);
  result.runtime.engine = `Node ${process.versions.node} (V8 ${process.versions.v8})`;
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (e) {
  // Python exceptions arrive as PythonError with the traceback in the message
  log(`error: ${String(e?.message ?? e).trim().split('\n').slice(-6).join('\n')}`);
  process.exit(1);
}
// onnxruntime-web may keep handles open; the result is out, so leave now
process.exit(0);
