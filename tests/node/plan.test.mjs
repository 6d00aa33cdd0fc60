// Memory plans inside Pyodide: WASM_INFER_PLAN from the Node environment
// reaches Python (tools/pyodide_node.mjs passes WASM_INFER_* through), and a
// plan that fails to build is loud: PlanError when strict (as `python3
// build.py test` runs every suite), one PlanWarning and plan_info() otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD, ROOT, hostPython } from '../../tools/pyodide_node.mjs';
import { BOOT_MS, PyodideThread } from '../../tools/pyodide_thread.mjs';

const PLAN = process.env.WASM_INFER_PLAN;
const MODES = { '': 'off', 0: 'off', off: 'off', 1: 'on', on: 'on', strict: 'strict' };
const CHAINS = ['slice', 'gather', 'split', 'quantize', 'conv1d'];   // tests/plan_chain_models.py
let chains;    // written by the host (onnx.helper), with onnxruntime's outputs

// Pyodide in a worker thread, so each test's timeout can stop it (tools/pyodide_thread.mjs).
const py = new PyodideThread({ packages: ['numpy'], wheel: true }, async (fresh) => {
  await fresh.writeFile('/ref/model.onnx', readFileSync(path.join(BUILD, 'models', 'efficientnet_lite0.onnx')));
  await fresh.writeFile('/ref/chelsea.input.npy', readFileSync(path.join(BUILD, 'reference', 'chelsea.png.input.npy')));
  await fresh.writeFile('/ref/chelsea.logits.npy', readFileSync(path.join(BUILD, 'reference', 'chelsea.png.logits.npy')));
  for (const f of readdirSync(chains)) await fresh.writeFile(`/chains/${f}`, readFileSync(path.join(chains, f)));
});
before(() => {
  chains = mkdtempSync(path.join(os.tmpdir(), 'wasm_infer_chains_'));
  execFileSync(hostPython(), [path.join(ROOT, 'tests', 'plan_chain_models.py'), chains], { timeout: 120_000 });
  execFileSync(hostPython(), [path.join(ROOT, 'tests', 'inline_if_models.py'), chains], { timeout: 120_000 });
  return py.start();
}, { timeout: BOOT_MS });
after(() => { rmSync(chains, { recursive: true, force: true }); return py.terminate(); });

test('WASM_INFER_PLAN of the test run is the plan mode of Python in Pyodide', { timeout: 60_000 }, async (t) => {
  if (PLAN === undefined) return t.skip('WASM_INFER_PLAN is not set (python3 build.py test sets it to strict)');
  const r = await py.runJSON(`
import json, os, wasm_infer
sess = wasm_infer.InferenceSession("/ref/model.onnx")
json.dumps({"env": os.environ.get("WASM_INFER_PLAN"), "runtime": wasm_infer.runtime_info()["plan"],
            "session": sess.plan_info()["mode"]})
`, t);
  const want = MODES[PLAN.trim().toLowerCase()];
  assert.ok(want, `WASM_INFER_PLAN=${PLAN} is not a plan mode`);
  assert.deepEqual(r, { env: PLAN, runtime: want, session: want });
});

test('EfficientNet-Lite0 is planned with the kernels: plan_info() lists its signature, nothing unplanned', { timeout: 120_000 }, async (t) => {
  const r = await py.runJSON(`
import json, numpy as np, wasm_infer
sess = wasm_infer.InferenceSession("/ref/model.onnx")
x = np.load("/ref/chelsea.input.npy")
sess.run(None, {"input": x})
json.dumps({"backend": sess.backend, **sess.plan_info()})
`, t);
  assert.notEqual(r.backend, 'numpy');
  if (r.mode === 'off') return;
  assert.deepEqual(r.planned.map((p) => p.inputs), [[[[1, 3, 224, 224], '<f4']]]);
  assert.ok(r.planned[0].arena_bytes > 0);
  assert.deepEqual(r.unplanned, []);
});

test('a plan that fails to build: PlanError when strict, else the right answer, one PlanWarning and plan_info()', { timeout: 120_000 }, async (t) => {
  // A planner bug on demand: assign_offsets raises for this test only.
  const r = await py.runJSON(`
import json, warnings, numpy as np, wasm_infer
from wasm_infer import plan
x = np.load("/ref/chelsea.input.npy")
ref = np.load("/ref/chelsea.logits.npy")
real = plan.assign_offsets
def broken(*args, **kwargs):
    raise RuntimeError("offsets are broken")
plan.assign_offsets = broken
out = {}
try:
    sess = wasm_infer.InferenceSession("/ref/model.onnx")
    out["mode"] = sess.plan_info()["mode"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for _ in range(3):
                (y,) = sess.run(None, {"input": x})
            out["maxdiff"] = float(np.abs(y - ref).max())
        except wasm_infer.PlanError as e:
            out["error"] = str(e)
    out["warnings"] = [str(w.message) for w in caught if issubclass(w.category, wasm_infer.PlanWarning)]
    out["info"] = sess.plan_info()
finally:
    plan.assign_offsets = real
json.dumps(out)
`, t);
  if (r.mode === 'off') return;
  if (r.mode === 'strict') {
    assert.match(r.error ?? '', /^no memory plan for inputs \[\[\[1, 3, 224, 224\], '<f4'\]\]: RuntimeError: offsets are broken \(WASM_INFER_PLAN=strict\)$/);
    assert.deepEqual(r.warnings, []);
    return;
  }
  assert.equal(r.error, undefined);
  assert.ok(r.maxdiff <= 1e-3, `unplanned logits vs onnxruntime: ${r.maxdiff}`);
  assert.equal(r.warnings.length, 1, JSON.stringify(r.warnings));
  assert.match(r.warnings[0], /RuntimeError: offsets are broken; these inputs run unplanned/);
  assert.deepEqual(r.info.unplanned, [{ inputs: [[[1, 3, 224, 224], '<f4']], reason: 'building the plan failed: RuntimeError: offsets are broken' }]);
  assert.deepEqual(r.info.planned, []);
});

test('a first node without a kernel (Slice, Gather, Split, Q/DQ, 1-D Conv) leaves the Conv, SiLU, MaxPool and Softmax after it on kernels', { timeout: 120_000 }, async (t) => {
  const r = await py.runJSON(`
import json, numpy as np, wasm_infer
out = {}
for name in ${JSON.stringify(CHAINS)}:
    sess = wasm_infer.InferenceSession(f"/chains/{name}.onnx")
    x, ref = np.load(f"/chains/{name}.input.npy"), np.load(f"/chains/{name}.output.npy")
    diffs = [float(np.abs(sess.run(None, {"x": x})[0] - ref).max()) for _ in range(3)]   # record+plan, planned, planned
    (p,) = [p for p in sess._plans.values()]
    out[name] = {"backend": sess.backend, "diffs": diffs,
                 "bound": sorted({op.op_type for op, how in zip(p.where, p.kinds) if how == "bound"}),
                 "first": [[how, note] for how, note in zip(p.kinds, p.notes)][0]}
json.dumps(out)
`, t);
  for (const name of CHAINS) {
    const m = r[name];
    assert.notEqual(m.backend, 'numpy', name);
    for (const d of m.diffs) assert.ok(d <= 1e-4, `${name}: max abs diff vs onnxruntime ${d}`);
    if (name === 'conv1d') {     // 1-D convs have since got a kernel: the 2-D one with height 1
      assert.deepEqual(m.first, ['bound', 'f32_conv2d_nchw']);
    } else if (name === 'quantize') {     // and float32 QuantizeLinear with a scalar scale
      assert.deepEqual(m.first[0], 'bound');
      assert.match(m.first[1], /qs8_vquantize__wasmsimd/);
    } else {    // the head runs in NumPy: its op's run, or a NumPy copy into the arena (Split, Slice, Gather)
      assert.ok(m.first[0] === 'numpy' || m.first[1].startsWith('numpy'), `${name}: the head node should have no kernel (${m.first})`);
    }
    // the chain's Mul(c, Sigmoid(c)) is one FusedSilu (fuse_silu) on f32_vsilu
    for (const op of ['NhwcConv', 'FusedSilu', 'NhwcPool', 'Softmax']) {
      assert.ok(m.bound.includes(op), `${name}: ${op} is not bound to a kernel (bound: ${m.bound})`);
    }
  }
});

test('Gemm with N = 1 and a scalar C runs on the packed GEMM kernel and matches onnxruntime (fused or not)', { timeout: 120_000 }, async (t) => {
  const r = await py.runJSON(`
import json, os, numpy as np, wasm_infer
x, ref = np.load("/chains/gemm_scalar_c.input.npy"), np.load("/chains/gemm_scalar_c.output.npy")
out = {}
for disable in ("", "fuse_matmul_bias"):          # FusedMatMul (the pass's rewrite), then Gemm itself
    os.environ["WASM_INFER_DISABLE_PASSES"] = disable
    try:
        sess = wasm_infer.InferenceSession("/chains/gemm_scalar_c.onnx")
    finally:
        del os.environ["WASM_INFER_DISABLE_PASSES"]
    diffs = [float(np.abs(sess.run(None, {"x": x})[0] - ref).max()) for _ in range(3)]
    (p,) = [p for p in sess._plans.values()]
    out[disable or "default"] = {"diffs": diffs, "steps": [[op.op_type, how, note] for op, how, note in zip(p.where, p.kinds, p.notes)]}
json.dumps(out)
`, t);
  for (const d of [...r.default.diffs, ...r.fuse_matmul_bias.diffs]) assert.ok(d <= 1e-5, `max abs diff vs onnxruntime ${d}`);
  assert.deepEqual(r.default.steps, [['FusedMatMul', 'bound', 'f32_gemm_4x8_minmax']]);
  assert.deepEqual(r.fuse_matmul_bias.steps, [['Gemm', 'bound', 'f32_gemm_4x8_minmax']]);
});

test('Gemm with transA = 1, N = 1 and a scalar C runs (in NumPy) and matches onnxruntime', { timeout: 120_000 }, async (t) => {
  const r = await py.runJSON(`
import json, numpy as np, wasm_infer
sess = wasm_infer.InferenceSession("/chains/gemm_scalar_c_trans_a.onnx")
x, ref = np.load("/chains/gemm_scalar_c_trans_a.input.npy"), np.load("/chains/gemm_scalar_c_trans_a.output.npy")
json.dumps([float(np.abs(sess.run(None, {"x": x})[0] - ref).max()) for _ in range(3)])
`, t);
  for (const d of r) assert.ok(d <= 1e-5, `max abs diff vs onnxruntime ${d}`);
});

test('LayerNormalization and a written-out LayerNorm + Relu run on the layer-norm kernel and match onnxruntime', { timeout: 120_000 }, async (t) => {
  const r = await py.runJSON(`
import json, numpy as np, wasm_infer
out = {}
for name in ("layer_norm", "layer_norm_written"):
    sess = wasm_infer.InferenceSession(f"/chains/{name}.onnx")
    x, ref = np.load(f"/chains/{name}.input.npy"), np.load(f"/chains/{name}.output.npy")
    diffs = [float(np.abs(sess.run(None, {"x": x})[0] - ref).max()) for _ in range(3)]
    (p,) = [p for p in sess._plans.values()]
    out[name] = {"diffs": diffs, "steps": [[op.op_type, how, note] for op, how, note in zip(p.where, p.kinds, p.notes)]}
json.dumps(out)
`, t);
  for (const name of ['layer_norm', 'layer_norm_written']) {
    for (const d of r[name].diffs) assert.ok(d <= 1e-5, `${name}: max abs diff vs onnxruntime ${d}`);
  }
  assert.deepEqual(r.layer_norm.steps, [['LayerNormalization', 'bound', 'f32_layernorm_minmax__wasmsimd']]);
  assert.deepEqual(r.layer_norm_written.steps, [['FusedLayerNorm', 'bound', 'f32_layernorm_minmax__wasmsimd']]);
});

test('a detection neck (ConvTranspose, Resize, Concat, Split, biases as Adds, BatchNormalization) runs in one NHWC region on kernels and matches onnxruntime', { timeout: 120_000 }, async (t) => {
  const r = await py.runJSON(`
import json, numpy as np, wasm_infer
sess = wasm_infer.InferenceSession("/chains/neck.onnx")
x = np.load("/chains/neck.input.npy")
refs = [np.load("/chains/neck.output.npy"), np.load("/chains/neck.output1.npy")]
diffs = [[float(np.abs(a - b).max()) for a, b in zip(sess.run(None, {"x": x}), refs)] for _ in range(3)]
(p,) = [p for p in sess._plans.values()]
json.dumps({"diffs": diffs, "steps": [[op.op_type, how, note] for op, how, note in zip(p.where, p.kinds, p.notes)]})
`, t);
  for (const d of r.diffs.flat()) assert.ok(d <= 1e-5, `max abs diff vs onnxruntime ${d}`);
  const how = Object.fromEntries(r.steps.map(([op, kind, note]) => [op, [kind, note]]));
  assert.deepEqual(how.NhwcConvTranspose, ['bound', 'f32_gemm_4x8_minmax (transposed conv)']);
  for (const op of ['Concat', 'Split', 'HardSigmoid', 'Mul']) assert.equal(how[op][0], 'bound', op);
  const resizes = r.steps.filter(([op]) => op === 'Resize').map(([, kind]) => kind);
  assert.deepEqual(resizes, ['bound', 'numpy']);      // x2 is a repetition, x1.5 is not
  assert.equal(r.steps.filter(([op]) => op === 'Transpose').length, 3);   // x in; y and z out
  assert.ok(!r.steps.some(([op]) => op === 'BatchNormalization' || op === 'ConvTranspose'));
});

test('LSTM (forward with initial states, reverse) runs on the packed GEMM and the LSTM cell kernel and matches onnxruntime', { timeout: 120_000 }, async (t) => {
  const r = await py.runJSON(`
import json, os, numpy as np, wasm_infer
out = {}
for name, n_out in (("lstm", 3), ("lstm_reverse", 1)):
    sess = wasm_infer.InferenceSession(f"/chains/{name}.onnx")
    x = np.load(f"/chains/{name}.input.npy")
    refs = [np.load(f"/chains/{name}.output.npy")] + [np.load(f"/chains/{name}.output{i}.npy") for i in range(1, n_out)]
    diffs = [max(float(np.abs(a - b).max()) for a, b in zip(sess.run(None, {"x": x}), refs)) for _ in range(3)]
    (p,) = [p for p in sess._plans.values()]
    out[name] = {"diffs": diffs, "steps": [[op.op_type, how, note] for op, how, note in zip(p.where, p.kinds, p.notes)]}
json.dumps(out)
`, t);
  for (const name of ['lstm', 'lstm_reverse']) {
    for (const d of r[name].diffs) assert.ok(d <= 1e-5, `${name}: max abs diff vs onnxruntime ${d}`);
    assert.deepEqual(r[name].steps, [['LSTM', 'bound', 'f32_gemm_4x8 + f32_lstm_cell__wasmsimd']]);
  }
});

test('LSTM in an If branch, its W and R sliced and concatenated from outer initializers: computed and packed once per plan, matches onnxruntime', { timeout: 120_000 }, async (t) => {
  const r = await py.runJSON(`
import json, numpy as np, wasm_infer
from wasm_infer import plan as planning
sess = wasm_infer.InferenceSession("/chains/lstm_branch.onnx")
x, ref = np.load("/chains/lstm_branch.input.npy"), np.load("/chains/lstm_branch.output.npy")
diffs = [float(np.abs(sess.run(None, {"x": x})[0] - ref).max()) for _ in range(3)]
(p,) = sess._plans.values()     # the If's condition is static (a size test): its branch is inlined
lstm = next(fn for fn, o in zip(p.fns, p.where) if o.op_type == "LSTM")
json.dumps({"diffs": diffs, "steps": [[o.op_type, how] for o, how in zip(p.where, p.kinds)],
            "big": 512 * 64 * 4 > planning.RECORD_VALUE_BYTES,
            "repacks": dict(zip(lstm.__code__.co_freevars, (c.cell_contents for c in lstm.__closure__)))["repack"]
                       is not None})
`, t);
  for (const d of r.diffs) assert.ok(d <= 1e-5, `max abs diff vs onnxruntime ${d}`);
  assert.ok(r.big, 'the sliced weights are larger than the record keeps');
  // Slice and Concat were computed at plan time, the If's condition too: the loop is the LSTM alone
  assert.deepEqual(r.steps, [['LSTM', 'bound']]);
  assert.equal(r.repacks, false, 'weights fixed for the plan are packed when it is built, not at every run');
});

test('an If on a sample-rate input is inlined into the plan with the kernels, and re-plans when the rate flips', { timeout: 120_000 }, async (t) => {
  // tests/inline_if_models.py: If(sr == 16000) around a branch with an If on a shape test
  const r = await py.runJSON(`
import json, numpy as np, wasm_infer
sess = wasm_infer.InferenceSession("/chains/sample_rate.onnx")
diffs, steps = [], []
for k in range(7):
    case = dict(np.load(f"/chains/sample_rate.{k}.npz"))
    want = case.pop("want")
    diffs.append(float(np.abs(sess.run(None, case)[0] - want).max()))
    p = next(iter(sess._plans.values()), None)      # none just after a flip: that run went unplanned
    steps.append([[op.node.name, how] for op, how in zip(p.where, p.kinds)] if p is not None else None)
json.dumps({"backend": sess.backend, "diffs": diffs, "steps": steps, "no_inline": [sorted(s) for s in sess._no_adopt.values()]})
`, t);
  assert.notEqual(r.backend, 'numpy');
  for (const d of r.diffs) assert.ok(d <= 1e-6, `max abs diff vs onnxruntime ${d}`);
  if (PLAN !== undefined && MODES[PLAN.trim().toLowerCase()] === 'off') return;
  // runs 1-3 at 16 kHz: the branch's steps are the plan's, the shape test is gone, the rate is
  // static for the plan and checked by value in the If's one step
  assert.deepEqual(r.steps[2], [['rate_if', 'numpy'], ['mul', 'bound'], ['gather_state', 'bound'], ['add', 'bound']]);
  // run 5 (after 8 kHz at run 4): inlined again, the condition checked per run
  assert.deepEqual(r.steps[4], [['is16k', 'numpy'], ['rate_if', 'numpy'], ['mul', 'bound'],
    ['gather_state', 'bound'], ['add', 'bound']]);
  // run 6 flipped it again: the If stays a step from then on (alone with the Equal: no plan)
  assert.deepEqual(r.no_inline, [['is16k', 'sr']]);
  assert.equal(r.steps[6], null);
});
