// `import onnxruntime` inside Pyodide 0.27.7 through wasm_infer's drop-in
// (`import wasm_infer.auto_onnxruntime`): two real libraries from PyPI
// (magika, captcha-whisperer; tools/ort_clients.py), installed unchanged from
// their wheels, read the same inputs as with the real onnxruntime natively
// (tests/ort_clients_run.py runs both sides) and give the same results; so
// does the README's onnxruntime example, read from README.md.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BOOT_MS, PyodideThread } from '../../tools/pyodide_thread.mjs';
import { INPUT_KINDS, RUNNER, assertSameResults, clientWheels, nativeResults } from './ort_clients.mjs';

const TEST_MS = 240_000;     // per test, for a busy 2-core machine (idle: a few seconds)

let inputs = null;
let real = null;
let py = null;

before(async () => {
  const wheels = clientWheels();
  ({ inputs, real } = nativeResults(wheels));
  // the client wheels are installed unchanged, without dependencies (onnxruntime is the drop-in)
  py = new PyodideThread({ packages: ['numpy', 'pillow', 'micropip', ...wheels], wheel: true }, async (fresh) => {
    await fresh.writeFile('/clients/ort_clients_run.py', readFileSync(RUNNER));
    for (const kind of INPUT_KINDS) {
      for (const f of readdirSync(path.join(inputs, kind))) {
        await fresh.writeFile(`/inputs/${kind}/${f}`, readFileSync(path.join(inputs, kind, f)));
      }
    }
  });
  await py.start();
}, { timeout: BOOT_MS });
after(() => { py?.terminate(); if (inputs) rmSync(inputs, { recursive: true, force: true }); });

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

test('magika, captcha-whisperer and the README example run unchanged in Pyodide and match native onnxruntime', { timeout: TEST_MS }, async (t) => {
  const ours = await py.runJSON(`
import wasm_infer.auto_onnxruntime
import json, runpy
runner = runpy.run_path("/clients/ort_clients_run.py")
json.dumps(runner["run"]("/inputs"))
`, t);
  assertSameResults(ours, real);
});

test('after the opt-in, onnxruntime counts as installed: its version answers, and micropip installs a library that requires it with its other dependencies', { timeout: TEST_MS }, async (t) => {
  const r = await py.runAsyncJSON(`
import importlib.metadata, json, zipfile
import wasm_infer.auto_onnxruntime
import micropip
out = {"version": importlib.metadata.version("onnxruntime")}
# a library as PyPI has many: it requires onnxruntime (and numpy), and imports it
info = "needs_ort-0.1.dist-info"
files = {"needs_ort/__init__.py": "import onnxruntime\\ndef providers():\\n    return onnxruntime.get_available_providers()\\n",
         f"{info}/METADATA": "Metadata-Version: 2.1\\nName: needs-ort\\nVersion: 0.1\\n"
                             "Requires-Dist: onnxruntime>=1.16\\nRequires-Dist: numpy\\n",
         f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}
files[f"{info}/RECORD"] = "".join(f"{name},,\\n" for name in [*files, f"{info}/RECORD"])
with zipfile.ZipFile("/tmp/needs_ort-0.1-py3-none-any.whl", "w") as z:
    for name, text in files.items():
        z.writestr(name, text)
await micropip.install("emfs:/tmp/needs_ort-0.1-py3-none-any.whl")     # with its dependencies
import needs_ort, onnxruntime
out.update(providers=needs_ort.providers(), module=onnxruntime.__name__,
           listed=str(micropip.list()["onnxruntime"].version))
json.dumps(out)
`, t);
  assert.deepEqual(r, { version: '1.32.0', providers: ['CPUExecutionProvider'], module: 'wasm_infer.onnxruntime', listed: '1.32.0' });
});
