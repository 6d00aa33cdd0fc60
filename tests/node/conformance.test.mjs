// A representative slice of the ONNX backend node tests inside Pyodide 0.27.7
// with the wasm kernels: every op type the suite uses, control flow,
// sequences/optionals and every exotic dtype, plus the kernel variant (weights
// as initializers) of those cases and of a few that reach each kernel family
// (tools/conformance.py select_slice and write_slice; written to
// build/conformance/slice.pkl by `python3 build.py test`). Each case runs twice
// in one session (first run, then the planned run); both must match.
// Known Pyodide failures (tests/conformance_xfail.py PYODIDE, PYODIDE_VARIANT)
// must still fail: a fix or a regression both show up. The full run is
// `python3 build.py conformance`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { BUILD, ROOT } from '../../tools/pyodide_node.mjs';
import { BOOT_MS, PyodideThread } from '../../tools/pyodide_thread.mjs';

const SLICE = path.join(BUILD, 'conformance', 'slice.pkl');
// For a busy 2-core machine: the slice (every test below reads its results) and each test.
const SLICE_MS = 240_000;
const TEST_MS = 60_000;
let results;

const py = new PyodideThread({ packages: ['numpy', 'pillow'], wheel: true }, async (fresh) => {
  await fresh.writeFile('/conformance/slice.pkl', readFileSync(SLICE));
  await fresh.writeFile('/conformance/tools/__init__.py', '');
  await fresh.writeFile('/conformance/tools/conformance_compare.py', readFileSync(path.join(ROOT, 'tools', 'conformance_compare.py')));
});

before(async () => {
  assert.ok(existsSync(SLICE), 'build/conformance/slice.pkl is missing: run the tests with `python3 build.py test`');
  await py.start();
  results = await py.runJSON(`
import sys, pickle, json, warnings
import numpy as np
sys.path.insert(0, "/conformance")
from tools.conformance_compare import KernelCounter, run_case
with open("/conformance/slice.pkl", "rb") as f:
    cases = pickle.load(f)
counter = KernelCounter()
counter.install()
out = []
with warnings.catch_warnings(), np.errstate(all="ignore"):
    warnings.simplefilter("ignore")
    for c in cases:
        r = run_case(c, backend="auto", counter=counter)
        out.append({"name": c["name"], "variant": c["variant"], "xfail": c["xfail"], **r})
json.dumps(out)
`);
}, { timeout: BOOT_MS + SLICE_MS });

after(() => py.terminate());

test('the slice covers many cases and the kernels are on', { timeout: TEST_MS }, async (t) => {
  assert.ok(results.filter((r) => !r.variant).length >= 100, `only ${results.filter((r) => !r.variant).length} cases in the slice`);
  assert.ok(results.filter((r) => r.variant).length >= 50, 'too few kernel-variant cases in the slice');
  assert.ok(['simd128', 'relaxed'].includes(await py.run('import wasm_infer; wasm_infer.runtime_info()["kernels"]', t)));
});

test('every case of the slice matches its expectation in Pyodide, in both runs', { timeout: TEST_MS }, () => {
  const wrong = [];
  for (const r of results) {
    const label = `${r.name}${r.variant ? ' (weights as initializers)' : ''}`;
    const list = r.variant ? 'PYODIDE_VARIANT' : 'PYODIDE';
    const failed = r.first ?? r.planned;
    if (r.xfail === null && r.first !== null) wrong.push(`${label} fails in the first run: ${r.first}`);
    if (r.xfail === null && r.planned !== null) wrong.push(`${label} fails in the planned run: ${r.planned}`);
    if (r.xfail !== null && failed === null) wrong.push(`${label} passes now: remove it from tests/conformance_xfail.py ${list}`);
  }
  assert.deepEqual(wrong, []);
});

test('the kernel variant runs the packed GEMM, NHWC conv, clamp and elementwise kernels', { timeout: TEST_MS }, () => {
  const called = new Set(results.filter((r) => r.variant).flatMap((r) => Object.keys(r.kernels)));
  for (const kernel of ['f32_gemm_4x8_minmax__wasmsimd', 'f32_dwconv2d_nhwc_minmax__wasmsimd',
    'f32_vclamp__wasmsimd', 'f32_vbinary_minmax__wasmsimd']) {
    assert.ok(called.has(kernel), `no variant case called ${kernel}; called: ${[...called].join(', ')}`);
  }
  assert.ok(results.some((r) => r.plan), 'no case of the slice ran through a memory plan');
});
