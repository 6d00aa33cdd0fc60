// onnxruntime's com.microsoft DynamicQuantizeLSTM on the kernels inside
// Pyodide 0.27.7 (wasm_infer/lowering/quant_rnn.py: the input quantized and
// multiplied by W once, then each direction's steps in one call of
// kernels_wasm/qu8s8_lstm_steps__wasmsimd.c). One-node models written by the
// host (tests/test_quant_lstm.py lstm_model) with onnxruntime's outputs (one
// thread: its hidden-state quantization is per batch then): planned, the node
// bound to the kernels, outputs within the zoo's tolerance (1e-4 of each
// output's magnitude) of onnxruntime's and of the NumPy op's (of the NumPy
// op's alone for uint8 weights with per-column zero points, which onnxruntime
// refuses); the zoo's silero_vad_lstm_int8 likewise; bad arguments refused
// by the binder; and the kernel in a bare WebAssembly memory with each buffer
// at its very end (an over-read or over-write traps).
//
// Run: WASM_INFER_PLAN=strict node --test --test-concurrency=1 tests/node/quant_lstm.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD, ROOT, hostPython } from '../../tools/pyodide_node.mjs';
import { BOOT_MS, PyodideThread } from '../../tools/pyodide_thread.mjs';
import { boundsRun } from './bare_memory.mjs';

const SO = path.join(ROOT, 'build', 'kernels', '_kernels.so');
const RELAXED = path.join(ROOT, 'build', 'kernels', '_kernels_relaxed.wasm');
const ZOO = path.join(BUILD, 'zoo');
const ZOO_FILES = ['silero_vad_lstm_int8.onnx', 'silero_vad_lstm_int8.feeds.npz', 'silero_vad_lstm_int8.ref.npz'];
const TEST_MS = 180_000;
const RTOL = 1e-4;       // tools/zoo.py's float32 tolerance, of each output's magnitude
const NOTE = 'qu8_vquantize_dynamic + qu8s8_gemm_4x8c2 + qu8s8_lstm_steps__wasmsimd';
let models;

// name -> lstm_model keywords: the zoo's shape (batch 1: the GEMV), the GEMM's 4-row tile (batch >= 4),
// reverse and bidirectional, per-column int8 weights and per-direction uint8 ones with their zero
// points (onnxruntime refuses uint8 with per-column zero points), hidden 13 (4 * hidden not a multiple
// of 8, k not of 8), no initial states, Y alone.
const CASES = {
  zoo_shape: { seed: 1, hidden: 128, inp: 128, steps: 16, batch: 1 },
  reverse_b3: { seed: 2, direction: 'reverse', batch: 3 },
  bidir_b5_column: { seed: 3, direction: 'bidirectional', batch: 5, per_channel: true, hidden: 20 },
  odd_b4: { seed: 4, per_channel: true, hidden: 13, inp: 9, batch: 4, states: false },
  bidir_uint8_b1: { seed: 5, direction: 'bidirectional', w_type: 'uint8', batch: 1, hidden: 24 },
  y_only: { seed: 6, outputs: 1, states: false, batch: 2 },
};
// onnxruntime refuses uint8 weights with per-column zero points ("InputWeight point must be constant");
// the NumPy op computes them, so the kernels are held to it alone there.
const NUMPY_ONLY = { uint8_column_b2: { seed: 7, direction: 'bidirectional', w_type: 'uint8', per_channel: true, batch: 2, hidden: 12 } };

const WRITE_MODELS = String.raw`
import json, sys
from pathlib import Path
import numpy as np
import onnxruntime as ort
sys.path[:0] = [sys.argv[1], str(Path(sys.argv[1]).parent)]
from test_quant_lstm import lstm_model
from tools import ort_reference
out, cases, numpy_only = Path(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
so = ort.SessionOptions()
so.intra_op_num_threads = 1
so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
for name, kw in {**cases, **numpy_only}.items():
    if "w_type" in kw:
        kw["w_type"] = getattr(np, kw["w_type"])
    model, feeds = lstm_model(**kw)
    (out / f"{name}.onnx").write_bytes(model)
    np.savez(out / f"{name}.feeds.npz", **feeds)
    if name in numpy_only:
        continue
    refs = ort_reference.session(model, so).run(None, feeds)
    np.savez(out / f"{name}.ref.npz", *refs)
`;

const HELPERS = String.raw`
import json
import numpy as np
import wasm_infer
from wasm_infer import kernels as K

def lstm_steps(p):
    return sorted({(how, note) for op, how, note in zip(p.where, p.kinds, p.notes) if op.op_type == "DynamicQuantizeLSTM"})

def check(model, feeds, refs, runs=3):
    """Kernel session vs onnxruntime (refs None: not) and vs the NumPy backend: worst difference / output
    magnitude."""
    sess = wasm_infer.InferenceSession(model)
    want = wasm_infer.InferenceSession(model, backend="numpy").run(None, feeds)
    refs = want if refs is None else refs
    ort_d, np_d = [], []
    for _ in range(runs):
        got = sess.run(None, feeds)
        assert len(got) == len(refs) == len(want)
        for g, r, w in zip(got, refs, want):
            assert g.shape == r.shape == w.shape, (g.shape, r.shape, w.shape)
        ort_d.append(max(float(np.abs(g - r).max() / np.abs(r).max()) for g, r in zip(got, refs)))
        np_d.append(max(float(np.abs(g - w).max() / np.abs(w).max()) for g, w in zip(got, want)))
    (p,) = list(sess._plans.values())
    return {"ort": ort_d, "numpy": np_d, "steps": lstm_steps(p)}
`;

const py = new PyodideThread({ packages: ['numpy'], wheel: true }, async (fresh) => {
  for (const f of readdirSync(models)) await fresh.writeFile(`/ql/${f}`, readFileSync(path.join(models, f)));
  for (const f of ZOO_FILES) await fresh.writeFile(`/zoo/${f}`, readFileSync(path.join(ZOO, f)));
  await fresh.run(HELPERS);
});

before(() => {
  for (const file of [SO, RELAXED, ...ZOO_FILES.map((f) => path.join(ZOO, f))]) {
    if (!existsSync(file)) throw new Error(`${path.relative(ROOT, file)} not found: run \`python3 build.py setup\` first`);
  }
  models = mkdtempSync(path.join(os.tmpdir(), 'wasm_infer_qlstm_'));
  execFileSync(hostPython(), ['-c', WRITE_MODELS, path.join(ROOT, 'tests'), models, JSON.stringify(CASES),
    JSON.stringify(NUMPY_ONLY)],
    { timeout: 120_000 });
  return py.start();
}, { timeout: BOOT_MS });

after(() => { rmSync(models, { recursive: true, force: true }); return py.terminate(); });

test('DynamicQuantizeLSTM runs on the kernels: every direction, batch 1 to 5, int8 and uint8 weights, within 1e-4 of onnxruntime and of the NumPy op', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
res = {}
for name in ${JSON.stringify(Object.keys(CASES))}:
    feeds = dict(np.load(f"/ql/{name}.feeds.npz"))
    ref = np.load(f"/ql/{name}.ref.npz")
    res[name] = check(f"/ql/{name}.onnx", feeds, [ref[f"arr_{i}"] for i in range(len(ref.files))])
json.dumps(res)
`, t);
  assert.deepEqual(Object.keys(r), Object.keys(CASES));
  for (const [name, v] of Object.entries(r)) {
    t.diagnostic(`${name}: relative to onnxruntime ${Math.max(...v.ort).toExponential(2)}, to NumPy ${Math.max(...v.numpy).toExponential(2)}`);
    assert.deepEqual(v.steps, [['bound', NOTE]], `${name}: not on the kernels`);
    for (const d of v.ort) assert.ok(d <= RTOL, `${name}: ${d} of the output's magnitude from onnxruntime`);
    for (const d of v.numpy) assert.ok(d <= RTOL, `${name}: ${d} of the output's magnitude from the NumPy op`);
  }
});

test('uint8 weights with per-column zero points (refused by onnxruntime) run on the kernels within 1e-4 of the NumPy op', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
json.dumps({name: check(f"/ql/{name}.onnx", dict(np.load(f"/ql/{name}.feeds.npz")), None) for name in ${JSON.stringify(Object.keys(NUMPY_ONLY))}})
`, t);
  assert.deepEqual(Object.keys(r), Object.keys(NUMPY_ONLY));
  for (const [name, v] of Object.entries(r)) {
    t.diagnostic(`${name}: relative to NumPy ${Math.max(...v.numpy).toExponential(2)}`);
    assert.deepEqual(v.steps, [['bound', NOTE]], `${name}: not on the kernels`);
    for (const d of v.numpy) assert.ok(d <= RTOL, `${name}: ${d} of the output's magnitude from the NumPy op`);
  }
});

test('the zoo\'s silero_vad_lstm_int8 runs on the kernels, within its tolerance of onnxruntime', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
# build.py zoo's files: inputs in0.. in the model's input order, onnxruntime's outputs out0..
fz, rz = np.load("/zoo/silero_vad_lstm_int8.feeds.npz"), np.load("/zoo/silero_vad_lstm_int8.ref.npz")
feeds = {name: fz[f"in{i}"] for i, name in enumerate(("X", "initial_h", "initial_c"))}
json.dumps(check("/zoo/silero_vad_lstm_int8.onnx", feeds, [rz[f"out{i}"] for i in range(3)]))
`, t);
  t.diagnostic(`relative to onnxruntime ${Math.max(...r.ort).toExponential(2)}, to NumPy ${Math.max(...r.numpy).toExponential(2)}`);
  assert.deepEqual(r.steps, [['bound', NOTE]]);
  for (const d of [...r.ort, ...r.numpy]) assert.ok(d <= RTOL, `${d} of the output's magnitude`);
});

test('bind_qu8_lstm_steps refuses bad dtypes, shapes, strides, packed weights and overlaps with ValueError', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
T, B, H = 3, 2, 8
xw = np.zeros((T, B, 4 * H), np.float32)
pr = K.pack_qu8_gemm(np.ones((H, 4 * H), np.int8), None, np.float32(0.01), None)
h0, c, y = np.zeros((B, H), np.float32), np.zeros((B, H), np.float32), np.zeros((T, B, H), np.float32)
buf = np.zeros(4096, np.float32)
ok = K.bind_qu8_lstm_steps(xw, pr, h0, c, y)        # the good arguments are accepted
ok()
bad = {
    "xw float64": lambda: K.bind_qu8_lstm_steps(xw.astype(np.float64), pr, h0, c, y),
    "xw 2-D": lambda: K.bind_qu8_lstm_steps(xw[0], pr, h0, c, y),
    "xw columns": lambda: K.bind_qu8_lstm_steps(xw[:, :, :-1], pr, h0, c, y),
    "xw strided columns": lambda: K.bind_qu8_lstm_steps(np.zeros((T, B, 8 * H), np.float32)[:, :, ::2], pr, h0, c, y),
    "xw steps backwards": lambda: K.bind_qu8_lstm_steps(xw[::-1], pr, h0, c, y),
    "h0 shape": lambda: K.bind_qu8_lstm_steps(xw, pr, np.zeros((B, H + 1), np.float32), c, y),
    "c float64": lambda: K.bind_qu8_lstm_steps(xw, pr, h0, c.astype(np.float64), y),
    "c strided": lambda: K.bind_qu8_lstm_steps(xw, pr, h0, np.zeros((B, 2 * H), np.float32)[:, ::2], y),
    "y rows apart": lambda: K.bind_qu8_lstm_steps(xw, pr, h0, c, np.zeros((T, B, 2 * H), np.float32)[:, :, :H]),
    "y empty": lambda: K.bind_qu8_lstm_steps(xw[:0], pr, h0, c, y[:0]),
    "y read-only": lambda: K.bind_qu8_lstm_steps(xw, pr, h0, c, np.frombuffer(bytes(4 * T * B * H), np.float32).reshape(T, B, H)),
    "packed for another hidden": lambda: K.bind_qu8_lstm_steps(xw, K.pack_qu8_gemm(np.ones((H, 4 * H + 8), np.int8), None, np.float32(1), None), h0, c, y),
    "packed float32": lambda: K.bind_qu8_lstm_steps(xw, pr.view(np.float32), h0, c, y),
    "y over xw": lambda: K.bind_qu8_lstm_steps(buf[:T * B * 4 * H].reshape(T, B, 4 * H), pr, h0, c, buf[64:64 + T * B * H].reshape(T, B, H)),
    "y over h0": lambda: K.bind_qu8_lstm_steps(xw, pr, buf[:B * H].reshape(B, H), c, buf[:T * B * H].reshape(T, B, H)),
    "c over y": lambda: K.bind_qu8_lstm_steps(xw, pr, h0, buf[8:8 + B * H].reshape(B, H), buf[:T * B * H].reshape(T, B, H)),
    "c over xw": lambda: K.bind_qu8_lstm_steps(buf[:T * B * 4 * H].reshape(T, B, 4 * H), pr, h0, buf[:B * H].reshape(B, H), y),
}
out = {}
for name, f in bad.items():
    try:
        f()
        out[name] = "accepted"
    except ValueError:
        out[name] = "ValueError"
json.dumps(out)
`, t);
  for (const [name, how] of Object.entries(r)) assert.equal(how, 'ValueError', name);
  assert.equal(Object.keys(r).length, 17);
});

// ---- the kernel alone in a bare WebAssembly memory --------------------------------------------

function fillFloats(memory, addr, n, seed) {
  const f = new Float32Array(memory.buffer, addr, n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; f[i] = (s >>> 8) / 2 ** 24 - 0.5; }
}

function fillShorts(memory, addr, n, seed) {
  const w = new Int16Array(memory.buffer, addr, n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; w[i] = ((s >>> 24) & 0x7f) - 64; }
}

const BARE_BUILDS = [SO, RELAXED].filter((f) => existsSync(f) && WebAssembly.validate(readFileSync(f)));

test('bounds: qu8s8_lstm_steps reads and writes nothing outside xw, packed R, h0, c, y and its work buffers', () => {
  let runs = 0;
  for (const file of BARE_BUILDS) {
    const bytes = readFileSync(file);
    for (const [steps, batch, hidden, reverse] of [[1, 1, 1, 0], [3, 1, 5, 1], [2, 3, 8, 0], [2, 4, 9, 1], [3, 5, 13, 0]]) {
      const n = 4 * hidden, kk8 = (hidden + 7) & ~7, panels = Math.ceil(n / 8);
      const sizes = { xw: 4 * steps * batch * n, r: 2 * panels * (32 + 8 * kk8), h0: 4 * batch * hidden,
        c: 4 * batch * hidden, y: 4 * steps * batch * hidden, qh: batch * hidden, hr: 4 * batch * n, scratch: 2 * batch * kk8 };
      boundsRun(bytes, sizes, (mem, ad) => {
        fillFloats(mem, ad.xw, steps * batch * n, 1);
        fillShorts(mem, ad.r, sizes.r / 2, 2);
        fillFloats(mem, ad.h0, batch * hidden, 3);
        fillFloats(mem, ad.c, batch * hidden, 4);
      }, (ex, ad) => ex.qu8s8_lstm_steps__wasmsimd(steps, batch, hidden, ad.xw, batch * n, n, ad.r, ad.h0, ad.c,
        ad.y, batch * hidden, reverse, ad.qh, ad.hr, ad.scratch));
      runs++;
    }
  }
  assert.ok(runs >= 5);
});
