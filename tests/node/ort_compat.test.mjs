// `import onnxruntime` inside Pyodide 0.27.7 through wasm_infer's drop-in
// (`import wasm_infer.auto_onnxruntime`): two real libraries from PyPI
// (magika, captcha-whisperer; tools/ort_clients.py), installed unchanged from
// their wheels, read the same inputs as with the real onnxruntime natively
// (tests/ort_clients_run.py runs both sides) and give the same results.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD, ROOT } from '../../tools/pyodide_node.mjs';
import { BOOT_MS, PyodideThread } from '../../tools/pyodide_thread.mjs';

const TEST_MS = 240_000;     // per test, for a busy 2-core machine (idle: a few seconds)
const RUNNER = path.join(ROOT, 'tests', 'ort_clients_run.py');
const CLIENTS = path.join(BUILD, 'cache', 'ort-clients');
const TOL = 1e-4;            // scores and confidences: float32 rounding, kernels vs onnxruntime

function python() {
  const venv = path.join(ROOT, '.venv', 'bin', 'python');
  try { execFileSync(venv, ['-c', '0']); return venv; } catch { return 'python3'; }
}

function clientWheels() {
  const wheels = existsSync(CLIENTS) ? readdirSync(CLIENTS).filter((f) => f.endsWith('-none-any.whl')) : [];
  if (!wheels.some((f) => f.startsWith('magika-')) || !wheels.some((f) => f.startsWith('captcha_whisperer-'))) {
    throw new Error(`client wheels not found in ${path.relative(ROOT, CLIENTS)}: run \`python3 build.py setup\` first`);
  }
  return wheels.map((f) => path.join(CLIENTS, f));
}

const inputs = mkdtempSync(path.join(os.tmpdir(), 'ort-clients-'));
let real = null;
let py = null;

before(async () => {
  const wheels = clientWheels();
  const env = { ...process.env, PYTHONPATH: ROOT };
  execFileSync(python(), [RUNNER, 'prepare', inputs], { timeout: 120_000, env });
  real = JSON.parse(execFileSync(python(), [RUNNER, 'run', inputs, ...wheels], { timeout: 120_000, env }).toString());
  // the client wheels are installed unchanged, without dependencies (onnxruntime is the drop-in)
  py = new PyodideThread({ packages: ['numpy', 'pillow', ...wheels], wheel: true }, async (fresh) => {
    await fresh.writeFile('/clients/ort_clients_run.py', readFileSync(RUNNER));
    for (const kind of ['magika', 'captcha']) {
      for (const f of readdirSync(path.join(inputs, kind))) {
        await fresh.writeFile(`/inputs/${kind}/${f}`, readFileSync(path.join(inputs, kind, f)));
      }
    }
  });
  await py.start();
}, { timeout: BOOT_MS });
after(() => { py?.terminate(); rmSync(inputs, { recursive: true, force: true }); });

test('import onnxruntime after the opt-in: the drop-in, its capi exceptions, and an onnxruntime-style session', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
import json, numpy as np
import wasm_infer.auto_onnxruntime
import onnxruntime as ort
from onnxruntime.capi.onnxruntime_pybind11_state import InvalidArgument
import wasm_infer, magika, pathlib
model = str(pathlib.Path(magika.__file__).parent / "models" / "standard_v3_3" / "model.onnx")
sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
x = np.random.default_rng(0).integers(0, 256, (2, 2048)).astype(np.int32)
(y,) = sess.run(None, {sess.get_inputs()[0].name: x})
caught = []
try:
    sess.run(None, {"bytes": x.astype(np.float32)})
except InvalidArgument as e:
    caught.append(isinstance(e, wasm_infer.WasmInferError))
json.dumps({"module": ort.__name__, "providers": ort.get_available_providers(), "device": ort.get_device(),
            "inputs": [[a.name, a.type, a.shape] for a in sess.get_inputs()], "shape": list(y.shape),
            "rowsums": [float(s) for s in y.sum(axis=1)], "caught": caught,
            "backend": sess._sess.backend, "producer": sess.get_modelmeta().producer_name})
`, t);
  assert.equal(r.module, 'wasm_infer.onnxruntime');
  assert.deepEqual(r.providers, ['CPUExecutionProvider']);
  assert.equal(r.device, 'CPU');
  assert.deepEqual(r.inputs, [['bytes', 'tensor(int32)', ['unk__214', 2048]]]);
  assert.deepEqual(r.shape, [2, 214]);
  for (const s of r.rowsums) assert.ok(Math.abs(s - 1) < 1e-4, `softmax rows sum to ${s}`);
  assert.deepEqual(r.caught, [true]);
  assert.ok(['simd128', 'relaxed'].includes(r.backend), r.backend);
  assert.equal(r.producer, 'tf2onnx');
});

test('magika and captcha-whisperer run unchanged in Pyodide and match native onnxruntime', { timeout: TEST_MS }, async (t) => {
  const ours = await py.runJSON(`
import wasm_infer.auto_onnxruntime
import json, runpy
runner = runpy.run_path("/clients/ort_clients_run.py")
json.dumps(runner["run"]("/inputs"))
`, t);
  assert.equal(real.onnxruntime, 'onnxruntime');
  assert.equal(ours.onnxruntime, 'wasm_infer.onnxruntime');
  assert.ok(real.magika.length >= 8 && real.captcha.length === 4);
  assert.deepEqual(ours.magika.map((m) => [m.file, m.label, m.dl]), real.magika.map((m) => [m.file, m.label, m.dl]));
  ours.magika.forEach((m, i) => assert.ok(Math.abs(m.score - real.magika[i].score) <= TOL, `${m.file}: ${m.score} vs ${real.magika[i].score}`));
  assert.deepEqual(ours.captcha.map((c) => [c.file, c.text]), real.captcha.map((c) => [c.file, c.text]));
  ours.captcha.forEach((c, i) => {
    const want = real.captcha[i];
    assert.ok(Math.abs(c.confidence - want.confidence) <= TOL, `${c.file}: ${c.confidence} vs ${want.confidence}`);
    assert.equal(c.char_confidences.length, want.char_confidences.length);
    c.char_confidences.forEach((v, j) => assert.ok(Math.abs(v - want.char_confidences[j]) <= TOL, `${c.file}[${j}]`));
  });
  assert.ok(ours.warnings.some((w) => w.includes('enable_cpu_mem_arena=False')), ours.warnings.join('\n'));
});
