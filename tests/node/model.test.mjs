// EfficientNet-Lite0 inside Pyodide 0.27.7 with the wasm kernels, installed
// from the built wheel, against onnxruntime's logits computed natively on the
// same preprocessed inputs (build/reference, made by `python3 build.py test`).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bootPyodide, BUILD } from '../../tools/pyodide_node.mjs';

const PHOTOS = ['chelsea.png', 'coffee.png', 'rocket.jpg', 'motorcycle_left.png'];
let py;

before(async () => {
  ({ pyodide: py } = await bootPyodide({ packages: ['numpy'], wheel: true }));
  py.FS.mkdirTree('/ref');
  py.FS.writeFile('/ref/model.onnx', readFileSync(path.join(BUILD, 'models', 'efficientnet_lite0.onnx')));
  for (const p of PHOTOS) {
    for (const kind of ['input', 'logits']) {
      py.FS.writeFile(`/ref/${p}.${kind}.npy`, readFileSync(path.join(BUILD, 'reference', `${p}.${kind}.npy`)));
    }
  }
});

test('the wheel installs and the kernel module loads with SIMD128', () => {
  const info = py.runPython('import wasm_infer, json; json.dumps(wasm_infer.runtime_info())');
  const rt = JSON.parse(info);
  assert.equal(rt.platform, 'pyodide');
  assert.equal(rt.kernels, 'simd128', `kernels did not load: ${rt.kernels_reason}`);
});

test('EfficientNet-Lite0 logits match onnxruntime on four photos (max abs diff <= 1e-3, same top-1)', () => {
  const result = JSON.parse(py.runPython(`
import json, numpy as np, wasm_infer
sess = wasm_infer.InferenceSession("/ref/model.onnx")
out = {"backend": sess.backend}
for p in ${JSON.stringify(PHOTOS)}:
    (got,) = sess.run(None, {"input": np.load(f"/ref/{p}.input.npy")})
    ref = np.load(f"/ref/{p}.logits.npy")
    out[p] = {"maxdiff": float(np.abs(got - ref).max()), "top1": int(got.argmax()), "ref_top1": int(ref.argmax())}
json.dumps(out)
`));
  assert.equal(result.backend, 'simd128');
  for (const p of PHOTOS) {
    const r = result[p];
    assert.ok(r.maxdiff <= 1e-3, `${p}: max abs diff ${r.maxdiff}`);
    assert.equal(r.top1, r.ref_top1, `${p}: top-1 ${r.top1}, onnxruntime says ${r.ref_top1}`);
  }
  assert.ok(result['chelsea.png'].top1 >= 281 && result['chelsea.png'].top1 <= 285);
  assert.equal(result['coffee.png'].top1, 967);
});

test('the kernels are really used: the NumPy backend gives the same answer by another route', () => {
  const r = JSON.parse(py.runPython(`
import json, numpy as np, wasm_infer
from wasm_infer import kernels
x = np.load("/ref/chelsea.png.input.npy")
k = wasm_infer.InferenceSession("/ref/model.onnx")
n = wasm_infer.InferenceSession("/ref/model.onnx", backend="numpy")
calls = {"n": 0}
real = kernels.conv2d_nchw
def counting(*a, **kw):
    calls["n"] += 1
    return real(*a, **kw)
kernels.conv2d_nchw = counting
try:
    (a,) = k.run(None, {"input": x})
finally:
    kernels.conv2d_nchw = real
(b,) = n.run(None, {"input": x})
json.dumps({"conv_calls": calls["n"], "diff": float(np.abs(a - b).max()), "backends": [k.backend, n.backend]})
`));
  assert.deepEqual(r.backends, ['simd128', 'numpy']);
  assert.equal(r.conv_calls, 49, 'every Conv of the model should run on the kernels');
  assert.ok(r.diff <= 1e-3, `kernels vs NumPy: ${r.diff}`);
});

test('bad input raises wasm_infer errors inside Pyodide, and the interpreter keeps working', () => {
  const r = JSON.parse(py.runPython(`
import json, numpy as np, wasm_infer
errors = []
data = open("/ref/model.onnx", "rb").read()
for bad in (b"not a model at all", data[:1000], data[: len(data) // 2]):
    try:
        wasm_infer.InferenceSession(bad)
    except wasm_infer.WasmInferError as e:
        errors.append(type(e).__name__)
sess = wasm_infer.InferenceSession(data)
for feeds in ({"input": np.zeros((1, 3, 224, 224), np.float64)}, {"image": np.zeros((1, 3, 224, 224), np.float32)},
              {"input": np.zeros((1, 3, 100, 100), np.float32)}):
    try:
        sess.run(None, feeds)
    except wasm_infer.WasmInferError as e:
        errors.append(type(e).__name__)
(ok,) = sess.run(None, {"input": np.load("/ref/coffee.png.input.npy")})
json.dumps({"errors": errors, "top1": int(ok.argmax())})
`));
  assert.deepEqual(r.errors, ['ModelError', 'ModelError', 'ModelError', 'InputError', 'InputError', 'InputError']);
  assert.equal(r.top1, 967);
});
