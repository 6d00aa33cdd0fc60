// Dynamic quantization kernels inside Pyodide 0.27.7 (onnxruntime's
// quantize_dynamic: DynamicQuantizeLinear, and MatMulInteger -> Cast -> Mul
// -> Add fused into DynamicQuantMatMul), through the checked binders of
// wasm_infer/kernels/dynamic_quant.py: every output byte equal to a NumPy
// reference computed in the same interpreter (the ops' formulas, exact
// integer products), outputs between guard bytes that must stay untouched;
// sizes around the 16-value vectors, the 4 x 8 tile and k mod 8. Then a
// model in a session (planned, steps bound to the kernels, outputs equal to
// the NumPy backend's and to onnxruntime's), bad arguments refused, and the
// bare-memory bounds tests: each kernel in a bare WebAssembly memory with
// every buffer in turn at its very end (an over-read or over-write traps).
//
// Run: WASM_INFER_PLAN=strict node --test --test-concurrency=1 tests/node/dynamic_quant.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, hostPython } from '../../tools/pyodide_node.mjs';
import { BOOT_MS, PyodideThread } from '../../tools/pyodide_thread.mjs';
import { boundsRun, fillBytes } from './bare_memory.mjs';

const SO = path.join(ROOT, 'build', 'kernels', '_kernels.so');
const RELAXED = path.join(ROOT, 'build', 'kernels', '_kernels_relaxed.wasm');
const TEST_MS = 180_000;
let models;    // written by the host (onnx.helper), with onnxruntime's outputs

// The chains of tests/test_dynamic_quant.py, with onnxruntime's outputs of the unfused graph.
const WRITE_MODELS = String.raw`
import sys
from pathlib import Path
import numpy as np
import onnxruntime as ort
sys.path[:0] = [sys.argv[1], str(Path(sys.argv[1]).parent)]
from test_dynamic_quant import chain
from tools import ort_reference
out = Path(sys.argv[2])
rng = np.random.default_rng(5)
so = ort.SessionOptions()
so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
cases = {"int8_tensor": dict(k=384, n=40), "uint8_column": dict(k=37, n=19, w_dtype=np.uint8, per_column=True),
         "three_heads": dict(k=9, n=8, heads=3, bias=False)}
from onnx import helper, numpy_helper

def contrib(k=45, n=21):
    """com.microsoft MatMulIntegerToFloat after a DynamicQuantizeLinear, and DynamicQuantizeMatMul, per column."""
    w = rng.integers(-128, 128, (k, n)).astype(np.int8)
    inits = {"w": w, "ws": rng.uniform(0.001, 0.05, n).astype(np.float32),
             "wz": rng.integers(-128, 128, n).astype(np.int8), "b": rng.standard_normal(n).astype(np.float32)}
    nodes = [helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
             helper.make_node("MatMulIntegerToFloat", ["xq", "w", "xs", "ws", "xz", "wz", "b"], ["y0"],
                              domain="com.microsoft"),
             helper.make_node("DynamicQuantizeMatMul", ["x", "w", "ws", "wz", "b"], ["y1"], domain="com.microsoft")]
    graph = helper.make_graph(nodes, "contrib", [helper.make_tensor_value_info("x", 1, [2, 5, k])],
                              [helper.make_tensor_value_info(f"y{i}", 1, None) for i in (0, 1)],
                              [numpy_helper.from_array(v, name) for name, v in inits.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    return m.SerializeToString()

def matmul_integer(k=45, n=21):
    """DynamicQuantizeLinear -> MatMulInteger (uint8 weights, per-column zero points) as the graph's int32 output."""
    inits = {"w": rng.integers(0, 256, (k, n)).astype(np.uint8), "wz": rng.integers(0, 256, n).astype(np.uint8)}
    nodes = [helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
             helper.make_node("MatMulInteger", ["xq", "w", "xz", "wz"], ["y0"])]
    graph = helper.make_graph(nodes, "mmi", [helper.make_tensor_value_info("x", 1, [2, 5, k])],
                              [helper.make_tensor_value_info("y0", 6, None)],
                              [numpy_helper.from_array(v, name) for name, v in inits.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m.SerializeToString()

for name, kw in list(cases.items()) + [("contrib", None), ("matmul_integer", None)]:
    model = chain(**kw) if kw else (contrib() if name == "contrib" else matmul_integer())
    x = rng.uniform(-4, 3, (2, 5, kw["k"] if kw else 45)).astype(np.float32)
    (out / f"{name}.onnx").write_bytes(model)
    np.save(out / f"{name}.input.npy", x)
    for i, y in enumerate(ort_reference.session(model, so).run(None, {"x": x})):
        np.save(out / f"{name}.output{i}.npy", y)
`;

const HELPERS = String.raw`
import numpy as np
from wasm_infer import kernels as K

rng = np.random.default_rng(14)
GUARD = 29

def guarded(shape, dtype):
    size = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    buf = np.full(2 * GUARD + size, 0x5A, np.uint8)
    return buf[GUARD:GUARD + size].view(dtype).reshape(shape), buf

def intact(buf):
    return bool((buf[:GUARD] == 0x5A).all() and (buf[-GUARD:] == 0x5A).all())

def ref_dql(x):
    """ops/op_dynamic_quantize_linear.py's formula, step by step in float32."""
    f32 = np.float32
    hi = f32(max(0.0, float(np.max(x)))) if x.size else f32(0)
    lo = f32(min(0.0, float(np.min(x)))) if x.size else f32(0)
    scale = (f32(1) if hi == lo else f32(hi - lo)) / f32(255)
    with np.errstate(invalid="ignore"):
        zp = np.rint(np.clip(f32(0) - lo / scale, 0, 255))
        y = np.clip(np.rint(x / scale) + zp, 0, 255)
    return y, np.float32(scale), (np.uint8(zp) if zp == zp else None)

def dql_case(x, check_zero=True):
    xg, _ = guarded(x.shape, np.float32)
    xg[...] = x
    y, ybuf = guarded(x.shape, np.uint8)
    s, sbuf = guarded((), np.float32)
    z, zbuf = guarded((), np.uint8)
    K.bind_qu8_quantize_dynamic(xg, y, s, z)()
    want, ws, wz = ref_dql(x)
    what = f"dynamic quantize n={x.size}"
    assert intact(ybuf) and intact(sbuf) and intact(zbuf), what + ": wrote outside y, scale or zero"
    assert s.tobytes() == ws.tobytes(), f"{what}: scale {s} vs {ws}"
    assert (wz is not None and int(z) == int(wz)) or not check_zero, f"{what}: zero point {z} vs {wz}"
    ok = ~np.isnan(want)                      # bytes of NaN quotients are unspecified
    bad = np.argwhere((y != want) & ok)
    assert bad.size == 0, f"{what}: {len(bad)} bytes differ, first at {bad[0]}: x={x[tuple(bad[0])]} {y[tuple(bad[0])]} vs {want[tuple(bad[0])]}"
    return int(x.size)

def ref_gemm(a, za, sa, b, zb, sb, bias):
    acc = ((a.astype(np.int64) - za) @ (b.astype(np.int64) - zb.astype(np.int64))).astype(np.int32)
    y = acc.astype(np.float32) * (np.float32(sa) * sb)
    return y if bias is None else bias + y

def gemm_i32_case(m, k, n, w_dtype=np.uint8, mb=None):
    """The int32 kernel (MatMulInteger): the exact accumulators."""
    lo, hi = (-128, 127) if w_dtype == np.int8 else (0, 255)
    b = rng.integers(lo, hi + 1, (k, n)).astype(w_dtype)
    zb = rng.integers(lo, hi + 1, n).astype(w_dtype)
    a = rng.integers(0, 256, (m, k)).astype(np.uint8)
    za = np.array(np.uint8(rng.integers(0, 256)))
    out, obuf = guarded((m, n), np.int32)
    K.bind_qu8_gemm(a, None, za, K.pack_qu8_gemm(b, zb, np.float32(1), None), out, k, n, mb)()
    want = ((a.astype(np.int64) - int(za)) @ (b.astype(np.int64) - zb.astype(np.int64))).astype(np.int32)
    what = f"gemm int32 m={m} k={k} n={n} {np.dtype(w_dtype)} mb={mb}"
    assert intact(obuf), what + ": wrote outside out"
    assert np.array_equal(out, want), what
    return int(out.size)

def gemm_case(m, k, n, w_dtype=np.int8, per_column=False, bias=True, za=None, zb=None, mb=None, lead=()):
    lo, hi = (-128, 127) if w_dtype == np.int8 else (0, 255)
    shape = (n,) if per_column else ()
    b = rng.integers(lo, hi + 1, (k, n)).astype(w_dtype)
    zbv = (rng.integers(lo, hi + 1, shape) if zb is None else np.full(shape, zb)).astype(w_dtype)
    sb = rng.uniform(0.001, 0.05, shape).astype(np.float32)
    bv = rng.standard_normal(n).astype(np.float32) if bias else None
    a = rng.integers(0, 256, lead + (m, k)).astype(np.uint8)
    ag, _ = guarded(a.shape, np.uint8)
    ag[...] = a
    sa, za_arr = np.array(np.float32(rng.uniform(0.001, 0.05)))[()], np.array(np.uint8(rng.integers(0, 256) if za is None else za))
    sa_g, _ = guarded((), np.float32)
    sa_g[...] = sa
    za_g, _ = guarded((), np.uint8)
    za_g[...] = za_arr
    packed = K.pack_qu8_gemm(b, zbv, sb, bv)
    out, obuf = guarded(lead + (m, n), np.float32)
    K.bind_qu8_gemm(ag, sa_g, za_g, packed, out, k, n, mb)()
    want = ref_gemm(a, int(za_arr), sa, b, zbv, sb, bv)
    what = f"gemm m={m} k={k} n={n} {np.dtype(w_dtype)} per_column={per_column} bias={bias} mb={mb}"
    assert intact(obuf), what + ": wrote outside out"
    bad = np.argwhere(out.view(np.uint32) != want.astype(np.float32).view(np.uint32))
    assert bad.size == 0, f"{what}: {len(bad)} of {out.size} differ, first at {tuple(bad[0])}: {out[tuple(bad[0])]} vs {want[tuple(bad[0])]}"
    return int(out.size)
`;

const py = new PyodideThread({ packages: ['numpy'], wheel: true }, async (fresh) => {
  for (const f of readdirSync(models)) await fresh.writeFile(`/dq/${f}`, readFileSync(path.join(models, f)));
  await fresh.run(HELPERS);
});

before(() => {
  for (const file of [SO, RELAXED]) {
    if (!existsSync(file)) throw new Error(`${path.relative(ROOT, file)} not found: run \`python3 build.py setup\` first`);
  }
  models = mkdtempSync(path.join(os.tmpdir(), 'wasm_infer_dq_'));
  execFileSync(hostPython(), ['-c', WRITE_MODELS, path.join(ROOT, 'tests'), models], { timeout: 120_000 });
  return py.start();
}, { timeout: BOOT_MS });

after(() => { rmSync(models, { recursive: true, force: true }); return py.terminate(); });

test('qu8 vquantize_dynamic: scale, zero point and bytes equal DynamicQuantizeLinear, every length around 16, ties, all-equal, inf, NaN in every lane group and the tail', { timeout: TEST_MS }, async (t) => {
  const n = await py.run(`
total = 0
for n in list(range(0, 40)) + [1000, 49152]:
    total += dql_case(rng.uniform(-3, 5, n).astype(np.float32))
for x in (np.zeros(33, np.float32), np.full(21, 2.5, np.float32), np.full(17, -0.75, np.float32),
          -np.zeros(5, np.float32), np.linspace(-1, 0, 50, dtype=np.float32), np.linspace(0, 3, 51, dtype=np.float32),
          np.array([1e30, -1e30, 1e-40, -1e-40, 0.0], np.float32),
          np.array([np.inf, 1.0, -2.0, 3.0, 0.5], np.float32),
          np.array([np.nan] + [1.5] * 20, np.float32), np.array([2.0] * 19 + [np.nan, -3.0], np.float32)):
    total += dql_case(x)
total += dql_case(np.array([-np.inf, 1.0, 2.0], np.float32), check_zero=False)   # zero point NaN in NumPy
# the same inside the 8-value min/max loop (lanes 0-3 and 4-7), not only in its tail
for pos in (2, 5, 9, 14):
    for v in (np.nan, np.inf, -np.inf, 1e30, -1e30):
        x = rng.uniform(-2, 3, 24).astype(np.float32)
        x[pos] = v
        total += dql_case(x, check_zero=v != -np.inf)
total += dql_case(-np.zeros(17, np.float32)) + dql_case(rng.uniform(-5, -1, 33).astype(np.float32))
total += dql_case(rng.uniform(1, 5, 33).astype(np.float32))
# exact ties: range [0, 255] gives scale 1, x = k + 0.5 rounds to even
total += dql_case(np.concatenate([[0.0, 255.0], np.arange(0, 255) + 0.5]).astype(np.float32))
total`, t);
  assert.ok(n > 51000, `only ${n} values checked`);
});

test('qu8s8 gemm: bit-exact with the integer MatMulInteger chain, rows around the 4-row tile and its 1-3 row tails, columns around 8, k around the 8- and 16-k steps, chunks', { timeout: TEST_MS }, async (t) => {
  const n = await py.run(`
total = 0
for m in (1, 2, 3, 4, 5, 7, 9, 13):
    for n in (1, 7, 8, 9, 17):
        for k in (1, 2, 7, 8, 9, 16, 23):
            total += gemm_case(m, k, n, w_dtype=np.int8 if (m + n + k) % 2 else np.uint8,
                               per_column=(m * n + k) % 3 == 0, bias=(n + k) % 4 != 0)
for mb in (1, 3, 4, 5, 8):
    total += gemm_case(13, 19, 11, mb=mb)
    total += gemm_i32_case(13, 19, 11, mb=mb)
for m, k, n in ((1, 1, 1), (4, 8, 8), (5, 9, 17), (9, 23, 7)):
    total += gemm_i32_case(m, k, n, w_dtype=np.int8 if k % 2 else np.uint8)
# full tiles take 16 k a step then 8, the 1-3 row tails 8: k past one and two steps
for m in (1, 2, 3, 4, 6, 8):
    for k in (24, 25, 32, 33, 47):
        total += gemm_case(m, k, 9, per_column=k % 2 == 1)
        total += gemm_i32_case(m, k, 9, w_dtype=np.int8 if m % 2 else np.uint8)
# chunks of rows that are not a multiple of the tile: every chunk ends in a short tile
for mb in (2, 6, 7):
    total += gemm_case(17, 41, 13, mb=mb)
    total += gemm_i32_case(17, 41, 13, mb=mb)
total += gemm_case(5, 0, 9)                                  # k = 0: the bias
total += gemm_case(128, 384, 40, lead=(1,))                  # MiniLM's shapes
total += gemm_case(6, 33, 10, lead=(2, 3), per_column=True)
for za in (0, 255):
    for w_dtype, zb in ((np.int8, -128), (np.int8, 127), (np.uint8, 0), (np.uint8, 255)):
        total += gemm_case(6, 37, 12, w_dtype=w_dtype, per_column=True, za=za, zb=zb)
# the largest products everywhere: exact int32 accumulation
a = np.full((4, 1024), 255, np.uint8)
b = np.full((1024, 8), -128, np.int8)
z0 = np.array(np.uint8(0))
out = np.empty((4, 8), np.float32)
K.bind_qu8_gemm(a, np.array(np.float32(1.0)), z0, K.pack_qu8_gemm(b, np.int8(127), np.float32(1.0), None), out, 1024, 8)()
assert (out == np.float32(255 * -255 * 1024)).all(), out
total`, t);
  assert.ok(n > 19000, `only ${n} outputs checked`);
});

test('dynamic quant binders reject bad dtypes, shapes, packed weights and overlaps with ValueError', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
import json
x = np.ones((4, 8), np.float32)
y, s, z = np.empty((4, 8), np.uint8), np.empty((), np.float32), np.empty((), np.uint8)
a, out = np.ones((4, 8), np.uint8), np.empty((4, 5), np.float32)
packed = K.pack_qu8_gemm(np.ones((8, 5), np.int8), None, np.float32(0.5), None)
buf = np.zeros(64, np.float32)
bad = {
    "x float64": lambda: K.bind_qu8_quantize_dynamic(x.astype(np.float64), y, s, z),
    "y int8": lambda: K.bind_qu8_quantize_dynamic(x, y.view(np.int8), s, z),
    "y shape": lambda: K.bind_qu8_quantize_dynamic(x, np.empty((4, 7), np.uint8), s, z),
    "two scales": lambda: K.bind_qu8_quantize_dynamic(x, y, np.empty(2, np.float32), z),
    "zero inside x": lambda: K.bind_qu8_quantize_dynamic(buf[:32].reshape(4, 8), y, s, buf[5:6].view(np.uint8)[:1]),
    "scale is x": lambda: K.bind_qu8_quantize_dynamic(buf[:32].reshape(4, 8), y, buf[:1], z),
    "y strided": lambda: K.bind_qu8_quantize_dynamic(x, np.empty((4, 16), np.uint8)[:, ::2], s, z),
    "a int8": lambda: K.bind_qu8_gemm(a.view(np.int8), s, z, packed, out, 8, 5),
    "a last axis": lambda: K.bind_qu8_gemm(np.ones((4, 9), np.uint8), s, z, packed, out, 8, 5),
    "out shape": lambda: K.bind_qu8_gemm(a, s, z, packed, np.empty((4, 6), np.float32), 8, 5),
    "out float64": lambda: K.bind_qu8_gemm(a, s, z, packed, out.astype(np.float64), 8, 5),
    "packed for another n": lambda: K.bind_qu8_gemm(a, s, z, packed, np.empty((4, 9), np.float32), 8, 9),
    "packed float32": lambda: K.bind_qu8_gemm(a, s, z, packed.view(np.float32), out, 8, 5),
    "a_zero int8": lambda: K.bind_qu8_gemm(a, s, z.view(np.int8), packed, out, 8, 5),
    "out over a_scale": lambda: K.bind_qu8_gemm(a, buf[:1], z, packed, buf[:20].reshape(4, 5), 8, 5),
    "out read-only": lambda: K.bind_qu8_gemm(a, s, z, packed, np.frombuffer(bytes(80), np.float32).reshape(4, 5), 8, 5),
    "mb 0": lambda: K.bind_qu8_gemm(a, s, z, packed, out, 8, 5, mb=0),
    "int32 out with a scale": lambda: K.bind_qu8_gemm(a, s, z, packed, np.empty((4, 5), np.int32), 8, 5),
    "float out without a scale": lambda: K.bind_qu8_gemm(a, None, z, packed, out, 8, 5),
    "pack 3-D b": lambda: K.pack_qu8_gemm(np.ones((2, 8, 5), np.int8), None, np.float32(1), None),
    "pack int16 b": lambda: K.pack_qu8_gemm(np.ones((8, 5), np.int16), None, np.float32(1), None),
    "pack zero point type": lambda: K.pack_qu8_gemm(np.ones((8, 5), np.int8), np.uint8(0), np.float32(1), None),
    "pack scales length": lambda: K.pack_qu8_gemm(np.ones((8, 5), np.int8), None, np.ones(4, np.float32), None),
    "pack bias length": lambda: K.pack_qu8_gemm(np.ones((8, 5), np.int8), None, np.float32(1), np.ones(6, np.float32)),
    "pack bias float64": lambda: K.pack_qu8_gemm(np.ones((8, 5), np.int8), None, np.float32(1), np.ones(5)),
}
out_ = {}
for name, f in bad.items():
    try:
        f()
        out_[name] = "accepted"
    except ValueError as e:
        out_[name] = "ValueError"
json.dumps(out_)
`, t);
  for (const [name, how] of Object.entries(r)) assert.equal(how, 'ValueError', name);
  assert.equal(Object.keys(r).length, 25);
});

test('quantize_dynamic chains in a session: planned, bound to the kernels, equal to the NumPy backend and to onnxruntime', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
import json, wasm_infer
res = {}
for name, outs in (("int8_tensor", 1), ("uint8_column", 1), ("three_heads", 3)):
    x = np.load(f"/dq/{name}.input.npy")
    refs = [np.load(f"/dq/{name}.output{i}.npy") for i in range(outs)]
    sess = wasm_infer.InferenceSession(f"/dq/{name}.onnx")
    numpy_sess = wasm_infer.InferenceSession(f"/dq/{name}.onnx", backend="numpy")
    want = numpy_sess.run(None, {"x": x})
    same = []
    for _ in range(3):
        got = sess.run(None, {"x": x})
        same.append(all(g.tobytes() == w.tobytes() == r.tobytes() for g, w, r in zip(got, want, refs)))
    (p,) = list(sess._plans.values())
    res[name] = {"same": same, "steps": sorted({(op.op_type, how, note) for op, how, note in zip(p.where, p.kinds, p.notes)})}
json.dumps(res)
`, t);
  for (const [name, v] of Object.entries(r)) {
    assert.deepEqual(v.same, [true, true, true], `${name}: outputs differ from NumPy's or onnxruntime's`);
    assert.deepEqual(v.steps, [['DynamicQuantMatMul', 'bound', 'qu8s8_gemm_4x8c2__wasmsimd'],
      ['DynamicQuantizeLinear', 'bound', 'qu8_vquantize_dynamic__wasmsimd']], name);
  }
});

test('MatMulInteger by constant weights runs on the int32 GEMM kernel, equal to NumPy and onnxruntime', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
import json, wasm_infer
x, ref = np.load("/dq/matmul_integer.input.npy"), np.load("/dq/matmul_integer.output0.npy")
sess = wasm_infer.InferenceSession("/dq/matmul_integer.onnx")
(want,) = wasm_infer.InferenceSession("/dq/matmul_integer.onnx", backend="numpy").run(None, {"x": x})
same = []
for _ in range(3):
    (got,) = sess.run(None, {"x": x})
    same.append(got.dtype == np.int32 and got.tobytes() == want.tobytes() == ref.tobytes())
(p,) = list(sess._plans.values())
json.dumps({"same": same, "steps": sorted({(op.op_type, how, note) for op, how, note in zip(p.where, p.kinds, p.notes)})})
`, t);
  assert.deepEqual(r.same, [true, true, true]);
  assert.deepEqual(r.steps, [['DynamicQuantizeLinear', 'bound', 'qu8_vquantize_dynamic__wasmsimd'],
    ['MatMulInteger', 'bound', 'qu8s8_gemm_4x8c2_i32__wasmsimd']]);
});

test('com.microsoft MatMulIntegerToFloat and DynamicQuantizeMatMul run on the kernels, equal to their NumPy ops', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
import json, wasm_infer
x = np.load("/dq/contrib.input.npy")
refs = [np.load(f"/dq/contrib.output{i}.npy") for i in range(2)]
sess = wasm_infer.InferenceSession("/dq/contrib.onnx")
want = wasm_infer.InferenceSession("/dq/contrib.onnx", backend="numpy").run(None, {"x": x})
same, ort_diff = [], []
for _ in range(3):
    got = sess.run(None, {"x": x})
    same.append(all(g.tobytes() == w.tobytes() for g, w in zip(got, want)))
    ort_diff.append(max(float(np.abs(g - r).max() / np.abs(r).max()) for g, r in zip(got, refs)))
(p,) = list(sess._plans.values())
json.dumps({"same": same, "ort": ort_diff,
            "steps": sorted({(op.op_type, how, note) for op, how, note in zip(p.where, p.kinds, p.notes)})})
`, t);
  assert.deepEqual(r.same, [true, true, true]);
  // onnxruntime's own kernels for these ops: the same arithmetic up to float rounding order
  for (const d of r.ort) assert.ok(d <= 1e-5, `relative difference to onnxruntime ${d}`);
  assert.deepEqual(r.steps, [
    ['DynamicQuantizeLinear', 'bound', 'qu8_vquantize_dynamic__wasmsimd'],
    ['DynamicQuantizeMatMul', 'bound', 'qu8_vquantize_dynamic__wasmsimd + qu8s8_gemm_4x8c2__wasmsimd'],
    ['MatMulIntegerToFloat', 'bound', 'qu8s8_gemm_4x8c2__wasmsimd']]);
});

const BARE_BUILDS = [SO, RELAXED].filter((f) => existsSync(f) && WebAssembly.validate(readFileSync(f)));

test('bounds: qu8 vquantize_dynamic reads and writes nothing outside x, y, scale, zero', () => {
  let runs = 0;
  for (const file of BARE_BUILDS) {
    const bytes = readFileSync(file);
    for (const n of [1, 3, 4, 5, 15, 16, 17, 33, 100]) {
      const sizes = { x: 4 * n, y: n, scale: 4, zero: 1 };
      boundsRun(bytes, sizes, (mem, ad) => {
        const x = new Float32Array(mem.buffer, ad.x, n);
        for (let i = 0; i < n; i++) x[i] = (i % 7) - 3.3;
      }, (ex, ad) => ex.qu8_vquantize_dynamic__wasmsimd(ad.x, n, ad.y, ad.scale, ad.zero));
      runs++;
    }
  }
  assert.ok(runs >= 9);
});

test('bounds: qu8s8 gemm (float32 and int32 out) reads and writes nothing outside A, a_scale, a_zero, packed W, C, scratch', () => {
  let runs = 0;
  for (const file of BARE_BUILDS) {
    const bytes = readFileSync(file);
    for (const m of [1, 3, 4, 5, 9]) for (const n of [1, 7, 8, 9, 17]) for (const k of [1, 7, 8, 9, 17, 33]) {
      const kk8 = (k + 7) & ~7, panels = Math.ceil(n / 8), panel = 2 * (32 + 8 * kk8);
      for (const mb of [1, 4, 5]) {
        const sizes = { a: m * k, scale: 4, zero: 1, w: panels * panel, c: 4 * m * n, scratch: 2 * Math.min(m, mb) * kk8 };
        boundsRun(bytes, sizes, (mem, ad) => {
          fillBytes(mem, ad.a, sizes.a, 3);
          fillBytes(mem, ad.w, sizes.w, 4);
          new Float32Array(mem.buffer, ad.scale, 1)[0] = 0.01;
          new Uint8Array(mem.buffer, ad.zero, 1)[0] = 131;
        }, (ex, ad) => {
          ex.qu8s8_gemm_4x8c2__wasmsimd(m, n, k, ad.a, k, ad.scale, ad.zero, ad.w, ad.c, n, ad.scratch, mb);
          ex.qu8s8_gemm_4x8c2_i32__wasmsimd(m, n, k, ad.a, k, ad.zero, ad.w, ad.c, n, ad.scratch, mb);
        });
      }
      runs++;
    }
  }
  assert.ok(runs >= 150);
});
