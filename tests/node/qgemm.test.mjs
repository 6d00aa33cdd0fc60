// com.microsoft QGemm (onnxruntime's quantize_static, QuantFormat.QOperator)
// inside Pyodide on the uint8 x 8-bit GEMM kernels (wasm_infer/lowering/qgemm.py):
// planned, the step bound to the kernel (its calls counted on the kernel
// table), every output byte equal to the NumPy op's (the NumPy backend in the
// same interpreter) for float and quantized outputs, per-tensor and
// per-column B, with and without C, transB and alpha; the quantized ones
// uint8 ones also equal to onnxruntime's bytes (made on the host; its float
// output is not the NumPy op's to the bit, and it has no uint8 A -> int8 Y).
//
// Run: WASM_INFER_PLAN=strict node --test --test-concurrency=1 tests/node/qgemm.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, hostPython } from '../../tools/pyodide_node.mjs';
import { BOOT_MS, PyodideThread } from '../../tools/pyodide_thread.mjs';

const SO = path.join(ROOT, 'build', 'kernels', '_kernels.so');
const TEST_MS = 180_000;
let dir;

// name: m, k, n, transB, per_column, C, output (float / uint8 / int8), alpha
const CASES = {
  head: [1, 1280, 1000, 1, true, true, 'uint8', 1.0],          // EfficientNet-Lite0's classifier
  float_column_c: [5, 40, 24, 1, true, true, 'float', 0.75],
  float_tensor: [3, 37, 19, 0, false, false, 'float', 1.5],
  float_column: [13, 9, 17, 1, true, false, 'float', 1.0],
  float_tensor_c: [4, 64, 8, 0, false, true, 'float', 1.0],
  quant_tensor: [9, 23, 17, 0, false, false, 'uint8', 1.0],
  quant_column: [2, 33, 10, 1, true, false, 'uint8', 0.5],
  quant_tensor_c: [7, 48, 12, 0, false, true, 'uint8', 2.0],
  quant_column_c_int8: [4, 64, 9, 1, true, true, 'int8', 1.0],
};
const EXPECTED = {
  float: 'qu8s8_gemm_4x8c2__wasmsimd',
  quant: 'qu8s8_gemm_4x8c2__wasmsimd + numpy requantize',
  c: 'qu8s8_gemm_4x8c2_i32__wasmsimd + numpy epilogue',
};

const WRITE_MODELS = String.raw`
import json, sys
from pathlib import Path
import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
sys.path.insert(0, ${JSON.stringify(ROOT)})
from tools import ort_reference
out, cases = Path(sys.argv[1]), json.loads(sys.argv[2])
rng = np.random.default_rng(1416)
T = {"float": TensorProto.FLOAT, "uint8": TensorProto.UINT8, "int8": TensorProto.INT8}
so = ort.SessionOptions()
so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
so.intra_op_num_threads = 1
for name, (m, k, n, trans_b, per_column, with_c, output, alpha) in cases.items():
    shape = (n,) if per_column else ()
    a = rng.integers(0, 256, (m, k)).astype(np.uint8)
    b = rng.integers(-128, 128, (n, k) if trans_b else (k, n)).astype(np.int8)
    consts = {"sa": np.float32(rng.uniform(0.01, 0.05)), "za": np.array(rng.integers(0, 256), np.uint8), "b": b,
              "sb": rng.uniform(0.001, 0.01, shape).astype(np.float32),
              "zb": rng.integers(-20, 21, shape).astype(np.int8),
              "c": rng.integers(-30000, 30000, n).astype(np.int32) if with_c else None}
    if output != "float":
        # y_scale and y_zero_point spreading the real outputs over 400 steps around the middle of the
        # type: some saturate at each end
        acc = (a.astype(np.int64) - consts["za"]) @ ((b.T if trans_b else b).astype(np.int64) - consts["zb"])
        f = (acc + (0 if not with_c else consts["c"])) * alpha * consts["sa"] * consts["sb"]
        sy = np.float32((f.max() - f.min()) / 400)
        mid = (128 if output == "uint8" else 0) - (f.max() + f.min()) / 2 / sy
        consts["sy"] = sy
        info = np.iinfo(np.uint8 if output == "uint8" else np.int8)
        consts["zy"] = np.array(np.clip(round(mid), info.min, info.max), info.dtype)
    names = ["a"] + [x if v is not None else "" for x, v in consts.items()]
    node = helper.make_node("QGemm", names, ["y"], name="the_qgemm", domain="com.microsoft",
                            transB=trans_b, alpha=float(alpha))
    graph = helper.make_graph([node], name, [helper.make_tensor_value_info("a", TensorProto.UINT8, [m, k])],
                              [helper.make_tensor_value_info("y", T[output], None)],
                              [numpy_helper.from_array(np.asarray(v), x) for x, v in consts.items() if v is not None])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    (out / f"{name}.onnx").write_bytes(model.SerializeToString())
    np.save(out / f"{name}.input.npy", a)
    if output == "uint8":          # onnxruntime implements uint8 A with uint8 or float Y only
        (y,) = ort_reference.session(model, so).run(None, {"a": a})
        np.save(out / f"{name}.ort.npy", y)

# QLinearGlobalAveragePool, NCHW uint8: name -> x shape
for name, shape in json.loads(sys.argv[3]).items():
    x = rng.integers(0, 256, shape).astype(np.uint8)
    # y_scale a few times finer than x_scale: the means spread over many output levels
    sx = np.float32(rng.uniform(0.01, 0.1))
    consts = {"sx": sx, "zx": np.array(rng.integers(100, 156), np.uint8),
              "sy": np.float32(sx * rng.uniform(0.25, 0.5)), "zy": np.array(rng.integers(100, 156), np.uint8)}
    node = helper.make_node("QLinearGlobalAveragePool", ["x"] + list(consts), ["y"], name="the_pool",
                            domain="com.microsoft", channels_last=0)
    graph = helper.make_graph([node], name, [helper.make_tensor_value_info("x", TensorProto.UINT8, list(shape))],
                              [helper.make_tensor_value_info("y", TensorProto.UINT8, None)],
                              [numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    (out / f"{name}.onnx").write_bytes(model.SerializeToString())
    np.save(out / f"{name}.input.npy", x)
    (y,) = ort_reference.session(model, so).run(None, {"x": x})
    np.save(out / f"{name}.ort.npy", y)
`;
// name -> X shape [batch, C, spatial...]
const POOLS = { pool_head: [1, 1280, 7, 7], pool_batch: [2, 3, 5, 4], pool_1d: [1, 16, 9], pool_one: [3, 1, 1, 1] };

// Every kernel call counted by name (the kernel table wrapped once per interpreter).
const COUNTING = String.raw`
import collections
from wasm_infer import kernels
calls = collections.Counter()
def counting(name, fn):
    def call(*args):
        calls[name] += 1
        return fn(*args)
    return call
for name, fn in list((kernels._State.funcs if kernels.available() else {}).items()):
    kernels._State.funcs[name] = counting(name, fn)
`;
const py = new PyodideThread({ packages: ['numpy'], wheel: true }, async (fresh) => {
  for (const f of readdirSync(dir)) await fresh.writeFile(`/qgemm/${f}`, readFileSync(path.join(dir, f)));
  await fresh.run(COUNTING);
});
before(() => {
  if (!existsSync(SO)) throw new Error(`${path.relative(ROOT, SO)} not found: run \`python3 build.py setup\` first`);
  dir = mkdtempSync(path.join(os.tmpdir(), 'wasm_infer_qgemm_'));
  execFileSync(hostPython(), ['-c', WRITE_MODELS, dir, JSON.stringify(CASES), JSON.stringify(POOLS)], { timeout: 120_000, stdio: 'pipe' });
  return py.start();
}, { timeout: BOOT_MS });
after(() => { rmSync(dir, { recursive: true, force: true }); return py.terminate(); });

test('QGemm runs on the qu8 GEMM kernels, planned, byte-exact with the NumPy op (and onnxruntime when quantized)', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
import json, os, numpy as np, wasm_infer
res = {}
for name in ${JSON.stringify(Object.keys(CASES))}:
    calls.clear()
    a = np.load(f"/qgemm/{name}.input.npy")
    (want,) = wasm_infer.InferenceSession(f"/qgemm/{name}.onnx", backend="numpy").run(None, {"a": a})
    ort = np.load(f"/qgemm/{name}.ort.npy") if os.path.exists(f"/qgemm/{name}.ort.npy") else None
    sess = wasm_infer.InferenceSession(f"/qgemm/{name}.onnx")
    same, same_ort = [], []
    for _ in range(3):                                   # record + plan, planned, planned
        (got,) = sess.run(None, {"a": a})
        same.append(got.dtype == want.dtype and got.shape == want.shape and got.tobytes() == want.tobytes())
        same_ort.append(ort is None or (got.dtype == ort.dtype and got.tobytes() == ort.tobytes()))
    (p,) = sess._plans.values()
    lo, hi = (int(want.min()), int(want.max())) if want.dtype != np.float32 else (0, 0)
    res[name] = {"backend": sess.backend, "same": same, "same_ort": same_ort, "lo": lo, "hi": hi,
                 "steps": [[op.op_type, how, note] for op, how, note in zip(p.where, p.kinds, p.notes)],
                 "calls": {k: v for k, v in calls.items() if k.startswith("qu8s8_gemm")}}
json.dumps(res)
`, t);
  for (const [name, [, , , , , withC, output]] of Object.entries(CASES)) {
    const v = r[name];
    assert.notEqual(v.backend, 'numpy', name);
    assert.deepEqual(v.same, [true, true, true], `${name}: bytes differ from the NumPy op's`);
    assert.deepEqual(v.same_ort, [true, true, true], `${name}: bytes differ from onnxruntime's`);
    const note = withC ? EXPECTED.c : output === 'float' ? EXPECTED.float : EXPECTED.quant;
    assert.deepEqual(v.steps, [['QGemm', 'bound', note]], name);
    const kernel = withC ? 'qu8s8_gemm_4x8c2_i32__wasmsimd' : 'qu8s8_gemm_4x8c2__wasmsimd';
    assert.deepEqual(v.calls, { [kernel]: 3 }, `${name}: kernel calls`);
    if (output !== 'float') {
      const [lo, hi] = output === 'uint8' ? [0, 255] : [-128, 127];
      assert.ok(v.lo === lo && v.hi === hi, `${name}: outputs ${v.lo}..${v.hi} do not saturate at both ends`);
    }
  }
});

test('QLinearGlobalAveragePool (NCHW uint8) sums on the int32 qu8 GEMM, planned, byte-exact with the NumPy op and onnxruntime', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
import json, numpy as np, wasm_infer
res = {}
for name in ${JSON.stringify(Object.keys(POOLS))}:
    calls.clear()
    x, ort = np.load(f"/qgemm/{name}.input.npy"), np.load(f"/qgemm/{name}.ort.npy")
    (want,) = wasm_infer.InferenceSession(f"/qgemm/{name}.onnx", backend="numpy").run(None, {"x": x})
    sess = wasm_infer.InferenceSession(f"/qgemm/{name}.onnx")
    same = []
    for _ in range(3):
        (got,) = sess.run(None, {"x": x})
        same.append(got.dtype == want.dtype == ort.dtype and got.shape == want.shape == ort.shape and
                    got.tobytes() == want.tobytes() == ort.tobytes())
    (p,) = sess._plans.values()
    res[name] = {"same": same, "distinct": len(np.unique(want)),
                 "steps": [[op.op_type, how, note] for op, how, note in zip(p.where, p.kinds, p.notes)],
                 "calls": {k: v for k, v in calls.items() if k.startswith("qu8s8_gemm")}}
json.dumps(res)
`, t);
  for (const [name, shape] of Object.entries(POOLS)) {
    const v = r[name];
    assert.deepEqual(v.same, [true, true, true], `${name}: bytes differ from the NumPy op's or onnxruntime's`);
    assert.deepEqual(v.steps, [['QLinearGlobalAveragePool', 'bound', 'qu8s8_gemm_4x8c2_i32__wasmsimd + numpy requantize']], name);
    assert.deepEqual(v.calls, { qu8s8_gemm_4x8c2_i32__wasmsimd: 3 }, `${name}: kernel calls`);
    if (shape[0] * shape[1] > 4) assert.ok(v.distinct > 2, `${name}: only ${v.distinct} distinct outputs`);
  }
});
