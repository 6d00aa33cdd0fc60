// Replay portable conformance cases (pickled by tools/conformance.py) inside
// Pyodide 0.27.7 with the built wasm_infer wheel and its wasm kernels (and
// Pyodide's Pillow, which ImageDecoder uses), each twice in one session
// (tools/conformance_compare.py run_case), counting the kernel calls.
//   node tools/conformance_pyodide.mjs CASES.pkl [START_INDEX]
// Prints {"runtime": ...} first, then one JSON line per case: {"i", "name",
// "first", "planned" (failure reasons, null = passed), "plan", "kernels", "ms"}.
// The host restarts from the next index if this process dies or stalls.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bootPyodide, ROOT } from './pyodide_node.mjs';

const [casesPath, startArg = '0'] = process.argv.slice(2);
const { pyodide: py } = await bootPyodide({ packages: ['numpy', 'pillow'], wheel: true });
py.FS.mkdirTree('/conformance/tools');
py.FS.writeFile('/conformance/cases.pkl', readFileSync(casesPath));
py.FS.writeFile('/conformance/tools/__init__.py', '');
py.FS.writeFile('/conformance/tools/conformance_compare.py', readFileSync(path.join(ROOT, 'tools', 'conformance_compare.py')));
py.runPython(`
import sys, pickle, json, time, warnings
import numpy as np
sys.path.insert(0, "/conformance")
from tools.conformance_compare import KernelCounter, run_case
import wasm_infer
with open("/conformance/cases.pkl", "rb") as f:
    CASES = pickle.load(f)
COUNTER = KernelCounter()
if not COUNTER.install():
    raise RuntimeError("no wasm kernels in Pyodide: " + wasm_infer.runtime_info()["kernels_reason"])

def run_one(i):
    case = CASES[i]
    t0 = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = run_case(case, backend="auto", counter=COUNTER)
    return json.dumps({"i": i, "name": case["name"], **result, "ms": round((time.perf_counter() - t0) * 1e3, 1)})
`);
process.stdout.write(py.runPython(`json.dumps({"runtime": {**wasm_infer.runtime_info(), "pyodide": "${py.version}"}})`) + '\n');
const n = py.runPython('len(CASES)');
const runOne = py.globals.get('run_one');
for (let i = Number(startArg); i < n; i++) {
  process.stdout.write(runOne(i) + '\n');
}
