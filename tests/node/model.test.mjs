// EfficientNet-Lite0 inside Pyodide 0.27.7 with the wasm kernels, installed
// from the built wheel, against onnxruntime's logits computed natively on the
// same preprocessed inputs (build/reference, made by `python3 build.py test`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUILD } from '../../tools/pyodide_node.mjs';
import { BOOT_MS, PyodideThread } from '../../tools/pyodide_thread.mjs';

// Either build of the kernel module counts: relaxed SIMD where the engine has it.
const KERNEL_FLAVOURS = ['simd128', 'relaxed'];

const PHOTOS = ['chelsea.png', 'coffee.png', 'rocket.jpg', 'motorcycle_left.png'];
// Per test, for a busy 2-core machine (idle, each takes under 1 s; a test after one that timed out boots Pyodide anew).
const TEST_MS = 120_000;

const py = new PyodideThread({ packages: ['numpy'], wheel: true }, async (fresh) => {
  await fresh.writeFile('/ref/model.onnx', readFileSync(path.join(BUILD, 'models', 'efficientnet_lite0.onnx')));
  for (const p of PHOTOS) {
    for (const kind of ['input', 'logits']) {
      await fresh.writeFile(`/ref/${p}.${kind}.npy`, readFileSync(path.join(BUILD, 'reference', `${p}.${kind}.npy`)));
    }
  }
});
before(() => py.start(), { timeout: BOOT_MS });
after(() => py.terminate());

test('the wheel installs and the kernel module loads with SIMD128', { timeout: TEST_MS }, async (t) => {
  const rt = await py.runJSON('import wasm_infer, json; json.dumps(wasm_infer.runtime_info())', t);
  assert.equal(rt.platform, 'pyodide');
  assert.ok(KERNEL_FLAVOURS.includes(rt.kernels), `kernels did not load: ${rt.kernels_reason}`);
});

test('EfficientNet-Lite0 logits match onnxruntime on four photos (max abs diff <= 1e-3, same top-1)', { timeout: TEST_MS }, async (t) => {
  const result = await py.runJSON(`
import json, numpy as np, wasm_infer
sess = wasm_infer.InferenceSession("/ref/model.onnx")
out = {"backend": sess.backend}
for p in ${JSON.stringify(PHOTOS)}:
    (got,) = sess.run(None, {"input": np.load(f"/ref/{p}.input.npy")})
    ref = np.load(f"/ref/{p}.logits.npy")
    out[p] = {"maxdiff": float(np.abs(got - ref).max()), "top1": int(got.argmax()), "ref_top1": int(ref.argmax())}
json.dumps(out)
`, t);
  assert.ok(KERNEL_FLAVOURS.includes(result.backend), result.backend);
  for (const p of PHOTOS) {
    const r = result[p];
    assert.ok(r.maxdiff <= 1e-3, `${p}: max abs diff ${r.maxdiff}`);
    assert.equal(r.top1, r.ref_top1, `${p}: top-1 ${r.top1}, onnxruntime says ${r.ref_top1}`);
  }
  assert.ok(result['chelsea.png'].top1 >= 281 && result['chelsea.png'].top1 <= 285);
  assert.equal(result['coffee.png'].top1, 967);
});

test('the kernels are really used: the NumPy backend gives the same answer by another route', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
import json, numpy as np, wasm_infer
from wasm_infer import kernels
x = np.load("/ref/chelsea.png.input.npy")
k = wasm_infer.InferenceSession("/ref/model.onnx")
n = wasm_infer.InferenceSession("/ref/model.onnx", backend="numpy")
calls = {"n": 0}
real = {name: getattr(kernels, name) for name in ("conv2d_nchw", "bind_conv2d_nchw", "bind_conv2d_nhwc")}
def counting(f):
    def wrapper(*a, **kw):
        calls["n"] += 1
        return f(*a, **kw)
    return wrapper
for name, f in real.items():
    setattr(kernels, name, counting(f))
try:
    (a,) = k.run(None, {"input": x})     # the first run: each conv calls a kernel, then the plan binds each once
finally:
    for name, f in real.items():
        setattr(kernels, name, f)
(b,) = n.run(None, {"input": x})
plan = next(iter(k._plans.values()))
bound_convs = sum(1 for op, fn in zip(plan.where, plan.fns) if "Conv" in op.op_type and fn.__name__ != "step")
json.dumps({"conv_calls": calls["n"], "bound_convs": bound_convs, "diff": float(np.abs(a - b).max()), "backends": [k.backend, n.backend]})
`, t);
  assert.ok(KERNEL_FLAVOURS.includes(r.backends[0]) && r.backends[1] === 'numpy', String(r.backends));
  assert.equal(r.conv_calls, 2 * 49, 'every Conv of the model should run on the kernels (run, then bind)');
  assert.equal(r.bound_convs, 49, 'every Conv of the model is a bound kernel step in the memory plan');
  assert.ok(r.diff <= 1e-3, `kernels vs NumPy: ${r.diff}`);
});

test('no allocation during run: the memory plan of EfficientNet-Lite0 (one arena, bound kernels)', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
import json, tracemalloc, numpy as np, wasm_infer
sess = wasm_infer.InferenceSession("/ref/model.onnx")
x = np.load("/ref/chelsea.png.input.npy")
first = sess.run(None, {"input": x})[0]      # records shapes and makes the plan
sess.run(None, {"input": x})
tracemalloc.start()
tracemalloc.reset_peak()
(y,) = sess.run(None, {"input": x})
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
plan = next(iter(sess._plans.values()))
numpy_steps = [op.op_type for op, fn in zip(plan.where, plan.fns) if getattr(fn, "__name__", "") == "step"]
json.dumps({"peak": peak, "out": y.nbytes, "info": sess.memory_info(), "same": bool(np.array_equal(first, y)),
            "numpy_steps": numpy_steps})
`, t);
  assert.ok(r.info.arena_bytes > 0, 'a plan was made');
  assert.deepEqual(r.numpy_steps, [], 'every step of the planned run is bound');
  assert.ok(r.peak <= r.out + 4096, `run allocated ${r.peak} bytes (outputs: ${r.out})`);
  assert.ok(r.same, 'the planned run gives the same logits as the first (recording) run');
});

test('bad input raises wasm_infer errors inside Pyodide, and the interpreter keeps working', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
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
`, t);
  assert.deepEqual(r.errors, ['ModelError', 'ModelError', 'ModelError', 'InputError', 'InputError', 'InputError']);
  assert.equal(r.top1, 967);
});
