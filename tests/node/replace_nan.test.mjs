// The NaN guard after an attention Softmax (Where(IsNaN(s), c, s), which the
// fuse_nan_guard pass turns into ReplaceNaN) on its wasm SIMD kernel
// f32_vreplace_nan inside Pyodide 0.27.7, through the checked binder of
// wasm_infer/kernels/replace_nan.py: every output bit equal to NumPy's
// where(isnan(x), c, x) (NaN payloads, signs, infinities, c NaN or not), in
// place and not, sizes around the 4- and 16-float steps, outputs between
// guard bytes that must stay untouched; bad arguments refused; the guard of a
// softmax model in a session (planned, bound to the kernel, equal to the
// NumPy backend and to onnxruntime). Then the bare-memory bounds test: the
// kernel in a bare WebAssembly memory with each buffer in turn at its very
// start and its very end (an over-read or over-write traps). And the IEEE
// special values a model makes (tests/test_ieee_results.py's ops: exp overflowing,
// log(0), 0/0 ...) in a session inside Pyodide, kernels and NumPy: onnxruntime's
// values, no RuntimeWarning, whatever the caller's np.seterr. (WebAssembly has no
// floating-point flags, so NumPy in Pyodide never warns or raises on them; natively
// it did until sessions silenced it: tests/test_ieee_results.py.)
//
// Run: WASM_INFER_PLAN=strict node --test --test-concurrency=1 tests/node/replace_nan.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, hostPython } from '../../tools/pyodide_node.mjs';
import { BOOT_MS, PyodideThread } from '../../tools/pyodide_thread.mjs';
import { bareKernels, layout } from './bare_memory.mjs';

const SO = path.join(ROOT, 'build', 'kernels', '_kernels.so');
const RELAXED = path.join(ROOT, 'build', 'kernels', '_kernels_relaxed.wasm');
const TEST_MS = 180_000;
let models;    // written by the host (onnx.helper), with onnxruntime's outputs

// tests/test_nan_guard.py's softmax + guard model, its feeds (fully masked rows, a NaN, +inf) and onnxruntime's output.
const WRITE_MODELS = String.raw`
import sys
from pathlib import Path
import numpy as np
import onnxruntime as ort
sys.path.insert(0, sys.argv[1])
from test_nan_guard import _attention_model, _feeds
out = Path(sys.argv[2])
model, feeds = _attention_model(0.0), _feeds()
(out / "guard.onnx").write_bytes(model)
np.savez(out / "guard.feeds.npz", **feeds)
np.save(out / "guard.output.npy", ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, feeds)[0])
from test_ieee_results import BINARY, UNARY, X, _model, _reference
np.save(out / "ieee.x.npy", X)
for op in UNARY + BINARY:
    (out / f"ieee.{op}.onnx").write_bytes(_model(op))
    np.save(out / f"ieee.{op}.output.npy", _reference(_model(op)))
`;

const HELPERS = String.raw`
import numpy as np
from wasm_infer import kernels as K

rng = np.random.default_rng(31)
GUARD = 28      # bytes: keeps float32 aligned, not 16-byte aligned
NANS = np.array([0x7FC00000, 0xFFC00000, 0x7F800001, 0xFFFFFFFF, 0x7FA5A5A5], np.uint32).view(np.float32)

def guarded(n):
    buf = np.full(2 * GUARD + 4 * n, 0x5A, np.uint8)
    return buf[GUARD:GUARD + 4 * n].view(np.float32), buf

def intact(buf):
    return bool((buf[:GUARD] == 0x5A).all() and (buf[-GUARD:] == 0x5A).all())

def sample(n):
    x = rng.standard_normal(n).astype(np.float32)
    pick = rng.random(n)
    x[pick < 0.3] = NANS[rng.integers(0, len(NANS), n)][pick < 0.3]     # any payload, either sign
    x[(pick >= 0.3) & (pick < 0.35)] = np.inf
    x[(pick >= 0.35) & (pick < 0.4)] = -np.inf
    x[(pick >= 0.4) & (pick < 0.45)] = -0.0
    return x

def case(n, c, inplace):
    x, xbuf = guarded(n)
    x[...] = sample(n)
    want = np.where(np.isnan(x), np.float32(c), x)
    y, ybuf = (x, xbuf) if inplace else guarded(n)
    K.bind_replace_nan(x, y, np.float32(c))()
    what = f"replace_nan n={n} c={c} inplace={inplace}"
    assert intact(ybuf), what + ": wrote outside y"
    bad = np.flatnonzero(y.view(np.uint32) != want.view(np.uint32))
    assert bad.size == 0, f"{what}: {bad.size} differ, first at {bad[0]}: {y[bad[0]]!r} vs {want[bad[0]]!r}"
    return n
`;

const py = new PyodideThread({ packages: ['numpy'], wheel: true }, async (fresh) => {
  for (const f of readdirSync(models)) await fresh.writeFile(`/rn/${f}`, readFileSync(path.join(models, f)));
  await fresh.run(HELPERS);
});

before(() => {
  for (const file of [SO, RELAXED]) {
    if (!existsSync(file)) throw new Error(`${path.relative(ROOT, file)} not found: run \`python3 build.py setup\` first`);
  }
  models = mkdtempSync(path.join(os.tmpdir(), 'wasm_infer_rn_'));
  execFileSync(hostPython(), ['-c', WRITE_MODELS, path.join(ROOT, 'tests'), models], { timeout: 120_000 });
  return py.start();
}, { timeout: BOOT_MS });

after(() => { rmSync(models, { recursive: true, force: true }); return py.terminate(); });

test('replace_nan: bit-exact where(isnan(x), c, x) for every length around 4 and 16, NaN payloads, infinities, c NaN, in place', { timeout: TEST_MS }, async (t) => {
  const total = await py.runJSON(`
total = 0
for n in list(range(0, 40)) + [255, 1000]:
    for c in (0.0, -1.5, np.inf, float(NANS[1])):
        for inplace in (False, True):
            total += case(n, c, inplace)
total`, t);
  assert.ok(total > 10000);
});

test('replace_nan binder rejects bad dtypes, shapes, values and overlaps with ValueError', { timeout: TEST_MS }, async (t) => {
  const failures = await py.runJSON(`
import json
x = np.zeros((4, 5), np.float32)
y = np.zeros((4, 5), np.float32)
ro = np.zeros((4, 5), np.float32); ro.flags.writeable = False
buf = np.zeros(40, np.float32)
bad = {
    "float64 x": lambda: K.bind_replace_nan(x.astype(np.float64), y, np.float32(0)),
    "float64 out": lambda: K.bind_replace_nan(x, y.astype(np.float64), np.float32(0)),
    "shape": lambda: K.bind_replace_nan(x, np.zeros((5, 4), np.float32), np.float32(0)),
    "strided x": lambda: K.bind_replace_nan(np.zeros((4, 10), np.float32)[:, ::2], y, np.float32(0)),
    "read-only out": lambda: K.bind_replace_nan(x, ro, np.float32(0)),
    "two values": lambda: K.bind_replace_nan(x, y, np.zeros(2, np.float32)),
    "float64 value": lambda: K.bind_replace_nan(x, y, np.float64(0)),
    "partial overlap": lambda: K.bind_replace_nan(buf[:20].reshape(4, 5), buf[1:21].reshape(4, 5), np.float32(0)),
    "not an array": lambda: K.bind_replace_nan([1.0], y, np.float32(0)),
}
failures = []
for name, call in bad.items():
    try:
        call()
        failures.append(f"{name}: accepted")
    except ValueError:
        pass
    except Exception as e:
        failures.append(f"{name}: {type(e).__name__}: {e}")
json.dumps(failures)`, t);
  assert.deepEqual(failures, []);
});

test('the guard after a softmax in a session: one ReplaceNaN, planned, bound to the kernel, equal to NumPy and onnxruntime', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
import json, wasm_infer
feeds = dict(np.load("/rn/guard.feeds.npz"))
ref = np.load("/rn/guard.output.npy")
sess = wasm_infer.InferenceSession("/rn/guard.onnx")
(want,) = wasm_infer.InferenceSession("/rn/guard.onnx", backend="numpy").run(None, feeds)
same = []
for _ in range(3):      # the softmax kernel's exp differs from NumPy's in the last bits: a tolerance
    (got,) = sess.run(None, feeds)
    same.append([float(np.abs(got - want).max()), float(np.abs(got - ref).max()), bool(np.isfinite(got).all()),
                 bool((got[0, 1] == 0).all() and (got[1, 2] == 0).all())])
(p,) = list(sess._plans.values())
json.dumps({"same": same, "backend": sess.backend,
            "steps": sorted({(op.op_type, how, note) for op, how, note in zip(p.where, p.kinds, p.notes)})})`, t);
  for (const [vsNumpy, vsOrt, finite, zeroed] of r.same) {
    assert.ok(vsNumpy <= 1e-6 && vsOrt <= 1e-6, `max diff ${vsNumpy} against NumPy, ${vsOrt} against onnxruntime`);
    assert.ok(finite && zeroed, 'NaN left, or a fully masked row not zeroed');
  }
  assert.notEqual(r.backend, 'numpy');
  assert.deepEqual(r.steps.filter((s) => s[0] === 'ReplaceNaN'), [['ReplaceNaN', 'bound', 'f32_vreplace_nan__wasmsimd']]);
  assert.ok(!r.steps.some((s) => s[0] === 'IsNaN' || s[0] === 'Where'), JSON.stringify(r.steps));
});

test('inf and NaN results as onnxruntime gives them, with no RuntimeWarning, whatever the caller\'s np.seterr', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
import glob, json, warnings, wasm_infer
x = np.load("/rn/ieee.x.npy")
out = {}
old = np.seterr(all="raise")         # the caller's setting: it must change nothing in the model
try:
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # a RuntimeWarning is an error
        for path in sorted(glob.glob("/rn/ieee.*.onnx")):
            op = path.split(".")[1]
            ref = np.load(f"/rn/ieee.{op}.output.npy")
            try:
                sess = wasm_infer.InferenceSession(path)
                got = [sess.run(None, {"x": x})[0] for _ in range(3)]     # recording run, then the plan
                out[op] = all(np.allclose(g, ref, rtol=1e-5, equal_nan=True) and
                              (np.isinf(g) == np.isinf(ref)).all() for g in got)
            except Exception as e:
                out[op] = f"{type(e).__name__}: {e}"
    kept = np.geterr()["divide"] == "raise"
finally:
    np.seterr(**old)
json.dumps({"ops": out, "kept": kept})`, t);
  assert.ok(Object.keys(r.ops).length >= 16, JSON.stringify(r.ops));
  for (const [op, ok] of Object.entries(r.ops)) assert.equal(ok, true, `${op}: ${ok}`);
  assert.ok(r.kept, "the caller's np.seterr was not restored");
});

// ---- bounds: each buffer at the very start and the very end of a bare memory ----
// The side module instantiated directly (no Pyodide), with its own memory (as
// in tests/node/kernel_bounds.test.mjs): a read before a buffer at address 0 wraps
// to ~4 GiB and traps, as does any read or write past one that ends the memory.

const BARE_BUILDS = [SO, RELAXED].filter((f) => existsSync(f) && WebAssembly.validate(readFileSync(f)));

test('bounds: f32_vreplace_nan reads and writes nothing outside x, y and params, in place or not', () => {
  let runs = 0;
  for (const file of BARE_BUILDS) {
    const bytes = readFileSync(file);
    for (const n of [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 19, 33, 100]) {
      for (const inplace of [false, true]) {
        const sizes = inplace ? { x: 4 * n, params: 4 } : { x: 4 * n, y: 4 * n, params: 4 };
        for (const target of Object.keys(sizes)) {
          for (const atEnd of [false, true]) {
            const { pages, addr, stackTop } = layout(sizes, target, atEnd);
            const { memory, exports } = bareKernels(bytes, pages, stackTop);
            const x = new Float32Array(memory.buffer, addr.x, n);
            for (let i = 0; i < n; i++) x[i] = i % 3 === 0 ? NaN : i - 7.5;
            new Float32Array(memory.buffer, addr.params, 1)[0] = -2;
            const y = inplace ? addr.x : addr.y;
            try {
              exports.f32_vreplace_nan__wasmsimd(n, addr.x, y, addr.params);
            } catch (e) {
              throw new Error(`${e.message}: n=${n} inplace=${inplace} with ${target} at the ${atEnd ? 'end' : 'start'} of memory`);
            }
            const got = new Float32Array(memory.buffer, y, n);
            for (let i = 0; i < n; i++) assert.equal(got[i], i % 3 === 0 ? -2 : i - 7.5, `n=${n} i=${i}`);
            runs++;
          }
        }
      }
    }
  }
  assert.ok(runs > 100);
});
