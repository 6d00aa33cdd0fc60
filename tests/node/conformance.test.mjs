// A representative slice of the ONNX backend node tests inside Pyodide 0.27.7
// with the wasm kernels: every op type the suite uses, control flow,
// sequences/optionals and every exotic dtype (tools/conformance.py
// select_slice; written to build/conformance/slice.pkl by `python3 build.py test`).
// Known Pyodide failures (tests/conformance_xfail.py PYODIDE) must still fail:
// a fix or a regression both show up. The full run is `python3 build.py conformance`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { bootPyodide, BUILD, ROOT } from '../../tools/pyodide_node.mjs';

const SLICE = path.join(BUILD, 'conformance', 'slice.pkl');
let py;
let results;

before(async () => {
  assert.ok(existsSync(SLICE), 'build/conformance/slice.pkl is missing: run the tests with `python3 build.py test`');
  ({ pyodide: py } = await bootPyodide({ packages: ['numpy', 'pillow'], wheel: true }));
  py.FS.mkdirTree('/conformance/tools');
  py.FS.writeFile('/conformance/slice.pkl', readFileSync(SLICE));
  py.FS.writeFile('/conformance/tools/__init__.py', '');
  py.FS.writeFile('/conformance/tools/conformance_compare.py', readFileSync(path.join(ROOT, 'tools', 'conformance_compare.py')));
  results = JSON.parse(py.runPython(`
import sys, pickle, json, warnings
import numpy as np
sys.path.insert(0, "/conformance")
from tools.conformance_compare import run_case
with open("/conformance/slice.pkl", "rb") as f:
    cases = pickle.load(f)
out = []
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    for c in cases:
        out.append({"name": c["name"], "xfail": c["xfail"], "reason": run_case(c, backend="auto")})
json.dumps(out)
`));
});

test('the slice covers many cases and the kernels are on', () => {
  assert.ok(results.length >= 100, `only ${results.length} cases in the slice`);
  assert.ok(['simd128', 'relaxed'].includes(py.runPython('import wasm_infer; wasm_infer.runtime_info()["kernels"]')));
});

test('every case of the slice matches its expectation in Pyodide', () => {
  const wrong = [];
  for (const r of results) {
    if (r.xfail === null && r.reason !== null) wrong.push(`${r.name} fails: ${r.reason}`);
    if (r.xfail !== null && r.reason === null) wrong.push(`${r.name} passes now: remove it from tests/conformance_xfail.py PYODIDE`);
  }
  assert.deepEqual(wrong, []);
});
