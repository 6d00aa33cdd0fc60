// The demo's Node side: boot the offline Pyodide, install numpy, Pillow and
// the wasm_infer wheel, then classify photos inside Pyodide (tools/demo_pyodide.py).
// Usage: node tools/demo.mjs --model M.onnx --labels L.json [--runs 20] IMAGE...
// Prints one JSON object on stdout.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bootPyodide, ROOT } from './pyodide_node.mjs';

const { values, positionals } = parseArgs({
  options: { model: { type: 'string' }, labels: { type: 'string' }, runs: { type: 'string', default: '20' } },
  allowPositionals: true,
});
const { pyodide, timings } = await bootPyodide({ packages: ['numpy', 'pillow'], wheel: true });
const FS = pyodide.FS;
FS.mkdirTree('/demo/images');
FS.writeFile('/demo/model.onnx', readFileSync(values.model));
FS.writeFile('/demo/labels.json', readFileSync(values.labels));
const images = positionals.map((file, i) => {
  // Keep the user's file name (it labels the result) but never collide.
  const dest = `/demo/images/${positionals.slice(0, i).some((p) => path.basename(p) === path.basename(file)) ? i + '_' : ''}${path.basename(file)}`;
  FS.writeFile(dest, readFileSync(file));
  return dest;
});
pyodide.runPython(readFileSync(path.join(ROOT, 'tools', 'demo_pyodide.py'), 'utf8'));
const main = pyodide.globals.get('main');
let out;
try {
  out = JSON.parse(main('/demo/model.onnx', '/demo/labels.json', pyodide.toPy(images), Number(values.runs)));
} catch (e) {
  // Python exceptions arrive as PythonError: show the last line (type: message).
  const lines = String(e.message).trim().split('\n');
  console.error(`error inside Pyodide: ${lines[lines.length - 1]}`);
  process.exit(1);
}
out.timings_ms = { pyodide_boot: timings.boot_ms, package_install: timings.install_ms, ...out.timings_ms };
out.runtime.pyodide = pyodide.version;
console.log(JSON.stringify(out));
