// The kernels a BERT-class encoder needs (issue 13), inside Pyodide on
// models tests/attention_models.py writes with onnxruntime's outputs: the
// tiny BERT of tools/export_minilm.py (Erf-GELU fused, attention's batched
// MatMuls and Softmax on kernels, padding mask), batched MatMul with
// broadcast leading axes, Softmax / LogSoftmax on any axis, Erf and both GELU forms.
// Each model runs three times (record + plan, then planned); every step named
// below must be bound to the kernel said.
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
  for (const f of readdirSync(dir)) await fresh.writeFile(`/attn/${f}`, readFileSync(path.join(dir, f)));
});
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wasm_infer_attention_'));
  execFileSync(hostPython(), [path.join(ROOT, 'tests', 'attention_models.py'), dir], { timeout: 120_000 });
  return py.start();
}, { timeout: BOOT_MS });
after(() => { rmSync(dir, { recursive: true, force: true }); return py.terminate(); });

async function check(t, name) {
  return py.runJSON(`
import json, numpy as np, wasm_infer
sess = wasm_infer.InferenceSession("/attn/${name}.onnx")
f, r = np.load("/attn/${name}.feeds.npz"), np.load("/attn/${name}.ref.npz")
feeds = {i.name: f[f"in{k}"] for k, i in enumerate(sess.get_inputs())}
errs = []
for _ in range(3):
    outs = sess.run(None, feeds)
    errs.append([float(np.abs(y - r[f"out{k}"]).max() / np.abs(r[f"out{k}"]).max()) for k, y in enumerate(outs)])
(p,) = sess._plans.values()
json.dumps({"backend": sess.backend, "errs": errs,
            "steps": [[op.op_type, how, note] for op, how, note in zip(p.where, p.kinds, p.notes)]})
`, t);
}

function stepsOf(r, op) {
  return r.steps.filter((s) => s[0] === op).map((s) => `${s[1]} ${s[2]}`);
}

function assertClose(r, rtol) {
  assert.notEqual(r.backend, 'numpy', 'the kernels did not load');
  for (const [i, run] of r.errs.entries()) {
    for (const [k, e] of run.entries()) assert.ok(e <= rtol, `run ${i + 1}, output ${k}: relative error ${e}`);
  }
}

test('tiny BERT (the exporter\'s graph): GELU fused, attention on the GEMM and softmax kernels, matches onnxruntime', { timeout: 120_000 }, async (t) => {
  const r = await check(t, 'bert');
  assertClose(r, 1e-5);
  assert.deepEqual(stepsOf(r, 'FusedGelu'), Array(2).fill('bound f32_vgelu__wasmsimd'));
  assert.deepEqual(stepsOf(r, 'MatMul'), Array(4).fill('bound f32_gemm_minmax'));
  assert.deepEqual(stepsOf(r, 'Softmax'), Array(2).fill('bound f32_softmax__wasmsimd'));
  assert.deepEqual(stepsOf(r, 'Erf'), []);
});

test('batched MatMul of two computed inputs, leading axes broadcast, and a 3-D a by a 2-D b: one GEMM kernel per matrix; tiny matrices stay in NumPy', { timeout: 120_000 }, async (t) => {
  const r = await check(t, 'matmul');
  assertClose(r, 1e-5);
  const [s, y, z, tiny] = stepsOf(r, 'MatMul');
  assert.deepEqual([s, y, z], Array(3).fill('bound f32_gemm_minmax'));
  assert.match(tiny, /^numpy.*8 matrices of 2x3 @ 3x2: too small for a kernel call each/);
});

test('Softmax over axis 1, -2 and 0 and LogSoftmax over axis 1 run on the strided kernels, without transposes; LogSoftmax over the last on rows', { timeout: 120_000 }, async (t) => {
  const r = await check(t, 'softmax_axis');
  assertClose(r, 1e-5);
  assert.deepEqual(stepsOf(r, 'Softmax'), Array(3).fill('bound f32_softmax_strided__wasmsimd'));
  assert.deepEqual(stepsOf(r, 'LogSoftmax'), ['bound f32_logsoftmax_strided__wasmsimd', 'bound f32_logsoftmax__wasmsimd']);
  assert.deepEqual(r.steps.filter((s) => s[0] === 'Transpose'), []);
});

test('Erf on its kernel; both written-out GELU forms fused onto theirs', { timeout: 120_000 }, async (t) => {
  const r = await check(t, 'erf_gelu');
  assertClose(r, 1e-5);
  assert.deepEqual(stepsOf(r, 'Erf'), ['bound f32_verf__wasmsimd']);
  assert.deepEqual(stepsOf(r, 'FusedGelu').sort(), ['bound f32_vgelu__wasmsimd', 'bound f32_vgelutanh__wasmsimd']);
  assert.equal(r.steps.length, 3, JSON.stringify(r.steps));
});
