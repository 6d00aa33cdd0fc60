// scikit-learn models exported by skl2onnx (tests/sklearn_models.py: an
// imputed and scaled logistic regression, a random forest with ZipMap
// probabilities, gradient boosting for regression, an RBF SVC with coupled
// probabilities, a DictVectorizer pipeline fed dicts) inside Pyodide, against
// onnxruntime's outputs made natively: the ai.onnx.ml ops in the browser's Python.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, hostPython } from '../../tools/pyodide_node.mjs';
import { BOOT_MS, PyodideThread } from '../../tools/pyodide_thread.mjs';

let dir;

const py = new PyodideThread({ packages: ['numpy'], wheel: true }, async (fresh) => {
  for (const f of readdirSync(dir)) await fresh.writeFile(`/sk/${f}`, readFileSync(path.join(dir, f)));
});
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wasm_infer_sklearn_'));
  execFileSync(hostPython(), [path.join(ROOT, 'tests', 'sklearn_models.py'), dir], { timeout: 240_000 });
  return py.start();
}, { timeout: BOOT_MS });
after(() => { rmSync(dir, { recursive: true, force: true }); return py.terminate(); });

// numbers up to float rounding (an integer label differs by 1 or more), label strings exactly
function assertClose(got, want, what) {
  const flat = (v) => (Array.isArray(v) ? v.flatMap(flat) : typeof v === 'object' ? Object.entries(v).flatMap(([key, x]) => [key, x]) : [v]);
  const [g1, w1] = [flat(got), flat(want)];
  assert.equal(g1.length, w1.length);
  for (const [i, v] of w1.entries()) {
    if (typeof v === 'number') assert.ok(Math.abs(g1[i] - v) <= 1e-4 * Math.max(1, Math.abs(v)), `${what}[${i}]: ${g1[i]} vs ${v}`);
    else assert.equal(g1[i], v, `${what}[${i}]`);
  }
}

test('a DictVectorizer pipeline fed one dict per run: as onnxruntime', { timeout: 120_000 }, async (t) => {
  const got = await py.runJSON(`
import json, wasm_infer
sess = wasm_infer.InferenceSession("/sk/dictvec.onnx")
rows = json.load(open("/sk/dictvec.rows.json"))
def plain(r):
    return [{str(k): v for k, v in row.items()} for row in r] if isinstance(r, list) else r.tolist()
json.dumps([[plain(r) for r in sess.run(None, {"x": row})] for row in rows])
`, t);
  const want = JSON.parse(readFileSync(path.join(dir, 'dictvec.ref.json'), 'utf8'));
  assert.equal(got.length, want.length);
  for (const [i, w] of want.entries()) assertClose(got[i], w, `row ${i}`);
});

for (const name of ['logistic', 'forest', 'boosting', 'svc']) {
  test(`${name}: the same labels and scores as onnxruntime, recorded and planned runs`, { timeout: 120_000 }, async (t) => {
    const runs = await py.runJSON(`
import json, numpy as np, wasm_infer
sess = wasm_infer.InferenceSession("/sk/${name}.onnx")
x = np.load("/sk/${name}.x.npy")
def plain(r):
    return [{str(k): v for k, v in row.items()} for row in r] if isinstance(r, list) else r.tolist()
json.dumps([[plain(r) for r in sess.run(None, {"X": x})] for _ in range(2)])
`, t);
    const want = JSON.parse(readFileSync(path.join(dir, `${name}.ref.json`), 'utf8'));
    for (const got of runs) {
      assert.equal(got.length, want.length);
      for (const [k, w] of want.entries()) assertClose(got[k], w, `output ${k}`);
    }
  });
}
