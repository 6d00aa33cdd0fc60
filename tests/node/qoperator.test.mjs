// QOperator models (onnxruntime's quantize_static with QuantFormat.QOperator,
// made on the host by tests/qoperator_models.py with onnxruntime's outputs)
// inside Pyodide: fuse_qlinear turns QLinearConv / QLinearAdd into the int8
// ops of the QDQ path, which run on the qs8 kernels (calls counted on the
// kernel table, as tools/conformance_compare.KernelCounter does), planned,
// and give onnxruntime's bytes.
//
// Run: WASM_INFER_PLAN=strict node --test --test-concurrency=1 tests/node/qoperator.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, hostPython } from '../../tools/pyodide_node.mjs';
import { BOOT_MS, PyodideThread } from '../../tools/pyodide_thread.mjs';

const MODELS = ['qop_u8', 'qop_s8', 'qop_u8_per_tensor'];   // tests/qoperator_models.py
let dir;

const py = new PyodideThread({ packages: ['numpy'], wheel: true }, async (fresh) => {
  for (const f of readdirSync(dir)) await fresh.writeFile(`/qop/${f}`, readFileSync(path.join(dir, f)));
});
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wasm_infer_qop_'));
  execFileSync(hostPython(), [path.join(ROOT, 'tests', 'qoperator_models.py'), dir], { timeout: 120_000, stdio: 'pipe' });
  return py.start();
}, { timeout: BOOT_MS });
after(() => { rmSync(dir, { recursive: true, force: true }); return py.terminate(); });

test('QLinearConv and QLinearAdd run on the qs8 kernels, planned, byte-exact with onnxruntime', { timeout: 180_000 }, async (t) => {
  const r = await py.runJSON(`
import json, collections, numpy as np, wasm_infer
from wasm_infer import kernels
calls = collections.Counter()
table = kernels._State.funcs if kernels.available() else {}
def counting(name, fn):
    def call(*args):
        calls[name] += 1
        return fn(*args)
    return call
for name, fn in list(table.items()):
    table[name] = counting(name, fn)
out = {}
for name in ${JSON.stringify(MODELS)}:
    calls.clear()
    sess = wasm_infer.InferenceSession(f"/qop/{name}.onnx")
    x, ref = np.load(f"/qop/{name}.input.npy"), np.load(f"/qop/{name}.output.npy")
    ys = [sess.run(None, {"x": x})[0] for _ in range(3)]     # record + plan, planned, planned
    (p,) = sess._plans.values()
    out[name] = {"backend": sess.backend, "equal": [bool(np.array_equal(y, ref)) for y in ys],
                 "ops": sorted({op.op_type for op, _, _ in sess._steps}),
                 "bound": sorted({op.op_type for op, how in zip(p.where, p.kinds) if how == "bound"}),
                 "calls": {k: v for k, v in calls.items() if k.startswith("qs8_")}}
json.dumps(out)
`, t);
  for (const name of MODELS) {
    const m = r[name];
    assert.notEqual(m.backend, 'numpy', name);
    assert.deepEqual(m.equal, [true, true, true], `${name}: outputs differ from onnxruntime's`);
    assert.ok(!m.ops.includes('QLinearConv') && !m.ops.includes('QLinearAdd'), `${name}: ${m.ops}`);
    for (const op of ['NhwcQS8Conv', 'QS8Add']) assert.ok(m.bound.includes(op), `${name}: ${op} not bound (${m.bound})`);
    // 3 runs: 3 igemm convs (3x3, two 1x1) and 1 depthwise each, one add each
    assert.equal(m.calls.qs8_igemm_4x8c2__wasmsimd, 9, `${name}: ${JSON.stringify(m.calls)}`);
    assert.equal(m.calls.qs8_dwconv2d_nhwc__wasmsimd, 3, `${name}: ${JSON.stringify(m.calls)}`);
    assert.equal(m.calls.qs8_vadd_minmax__wasmsimd, 3, `${name}: ${JSON.stringify(m.calls)}`);
    // the float output: the quantizer's DequantizeLinear, per tensor, on the dequantize kernel
    assert.equal(m.calls.qs8_vdequantize__wasmsimd, 3, `${name}: ${JSON.stringify(m.calls)}`);
  }
});
