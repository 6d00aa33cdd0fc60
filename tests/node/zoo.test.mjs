// The public zoo (tools/zoo.py, `python3 build.py zoo`): real third-party
// models, each loaded inside Pyodide with the kernels, run twice on its
// entry's input (the recording run, then the planned run) and compared with
// onnxruntime's native outputs within the entry's tolerance:
// max|ours - reference| <= rtol * max|reference|, for every output (with the
// output's own rtol when the entry gives one).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD, hostPython } from '../../tools/pyodide_node.mjs';
import { BOOT_MS, PyodideThread } from '../../tools/pyodide_thread.mjs';

const ZOO = path.join(BUILD, 'zoo');
const manifest = existsSync(path.join(ZOO, 'zoo.json'))
  ? JSON.parse(readFileSync(path.join(ZOO, 'zoo.json'), 'utf8')) : null;
const missing = manifest ? false : 'build/zoo is missing: run `python3 build.py zoo` (python3 build.py test does)';

// PP-OCRv4 rec on crops 1-7 pixels wide (after resizing to height 48), with onnxruntime's outputs
// made natively: its AveragePool [3, 2] / [3, 2] then sees [3, 1], less than a stride short of a
// window, which onnxruntime pools as one window (and wasm_infer refused before).
const NARROW = [1, 4, 7];
const WRITE_NARROW = String.raw`
import sys
import numpy as np
import onnxruntime as ort
model, out = sys.argv[1], sys.argv[2]
sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
rng = np.random.default_rng(48)
for w in ${JSON.stringify(NARROW)}:
    x = rng.standard_normal((1, 3, 48, w)).astype(np.float32)
    np.savez(f"{out}/narrow_{w}.npz", x=x, y=sess.run(None, {"x": x})[0])
`;
let narrowDir;

const py = new PyodideThread({ packages: ['numpy'], wheel: true }, async (fresh) => {
  for (const m of manifest.models) {
    for (const f of [m.file, m.feeds, m.ref]) await fresh.writeFile(`/zoo/${f}`, readFileSync(path.join(ZOO, f)));
  }
  for (const w of NARROW) await fresh.writeFile(`/zoo/narrow_${w}.npz`, readFileSync(path.join(narrowDir, `narrow_${w}.npz`)));
  await fresh.run(`
import json, numpy as np, wasm_infer

def zoo_check(entry_json):
    """Load, run twice, compare each run with the reference: JSON for the test."""
    e = json.loads(entry_json)
    f, r = np.load("/zoo/" + e["feeds"]), np.load("/zoo/" + e["ref"])
    feeds = {i["name"]: f[f"in{k}"] for k, i in enumerate(e["inputs"])}
    refs = [r[f"out{k}"] for k in range(len(e["outputs"]))]
    sess = wasm_infer.InferenceSession("/zoo/" + e["file"])
    runs = []
    for _ in range(2):
        outs = sess.run(None, feeds)
        errs = []
        for y, ref in zip(outs, refs):
            y = np.asarray(y)
            if y.shape != ref.shape or not np.all(np.isfinite(y)):
                errs.append(None)      # JSON has no inf: a shape mismatch or a NaN fails the test
                continue
            scale = float(np.abs(ref).max()) if ref.size else 0.0
            diff = float(np.abs(y.astype(np.float64) - ref).max()) if ref.size else 0.0
            errs.append(diff / scale if scale else diff)
        runs.append({"errors": errs, "shapes": [list(np.shape(y)) for y in outs]})
    info = sess.plan_info()
    steps = [s for p in info["planned"] for s in p["step_info"]]
    return json.dumps({"backend": sess.backend, "mode": info["mode"], "runs": runs,
                       "planned": len(info["planned"]), "unplanned": info["unplanned"],
                       "bound": sum(s["how"] == "bound" for s in steps), "steps": len(steps)})
`);
});

before(() => {
  if (missing) return undefined;
  narrowDir = mkdtempSync(path.join(os.tmpdir(), 'wasm_infer_narrow_'));
  execFileSync(hostPython(), ['-c', WRITE_NARROW, path.join(ZOO, 'ppocrv4_rec.onnx'), narrowDir], { timeout: 120_000 });
  return py.start();
}, { timeout: BOOT_MS });
after(() => { if (narrowDir) rmSync(narrowDir, { recursive: true, force: true }); return py.terminate(); });

// Per model, on a loaded 2-core machine (measured: 7 s for all of them after boot).
const TIMEOUT_MS = 300_000;

for (const entry of manifest?.models ?? [{ key: 'zoo' }]) {
  test(`${entry.key}: runs twice in Pyodide and matches onnxruntime native within its tolerance`,
    { timeout: TIMEOUT_MS, skip: missing }, async (t) => {
      const r = await py.runJSON(`zoo_check(${JSON.stringify(JSON.stringify(entry))})`, t);
      assert.notEqual(r.backend, 'numpy', 'the kernels did not load');
      for (const [i, run] of r.runs.entries()) {
        assert.deepEqual(run.shapes, entry.outputs.map((o) => o.shape), `run ${i + 1}: output shapes`);
        for (const [k, err] of run.errors.entries()) {
          const rtol = entry.outputs[k].rtol ?? entry.rtol;    // an output's own tolerance (tools/zoo.py)
          assert.ok(err !== null && err <= rtol,
            `run ${i + 1}, output ${entry.outputs[k].name}: relative error ${err} > ${rtol} (or NaN)`);
        }
      }
      if (r.mode !== 'off') {
        // The second run was planned: a plan that failed to build is PlanError under
        // strict, and otherwise shows up here with its reason. "Nothing bindable" is
        // no failure (no node of the model has a kernel yet), only slow.
        const failed = r.unplanned.filter((u) => !u.reason.startsWith('nothing bindable'));
        assert.deepEqual(failed, [], 'the plan failed to build');
        assert.equal(r.planned + r.unplanned.length, 1, 'one input signature, planned or not');
        if (r.planned) assert.ok(r.bound > 0, `the plan has ${r.steps} steps, none on a kernel`);
      }
    });
}

test('PP-OCRv4 rec on crops under 8 pixels wide: onnxruntime\'s output (a pool window larger than what is left)', { timeout: 120_000, skip: missing }, async (t) => {
  const r = await py.runJSON(`
sess = wasm_infer.InferenceSession("/zoo/ppocrv4_rec.onnx")
out = {}
for w in ${JSON.stringify(NARROW)}:
    d = np.load(f"/zoo/narrow_{w}.npz")
    runs = [sess.run(None, {"x": d["x"]})[0] for _ in range(2)]     # recording run, then the plan
    out[w] = [[list(y.shape), float(np.abs(y - d["y"]).max() / np.abs(d["y"]).max())] for y in runs]
info = sess.plan_info()
pools = [s for p in info["planned"] for s in p["step_info"] if "Pool" in s["op_type"] and "Global" not in s["op_type"]]
json.dumps({"runs": out, "pools": sorted({(s["op_type"], s["how"]) for s in pools}), "unplanned": info["unplanned"]})
`, t);
  for (const w of NARROW) {
    for (const [shape, err] of r.runs[w]) {
      assert.deepEqual(shape, [1, 1, 6625], `width ${w}`);
      assert.ok(err <= 1e-4, `width ${w}: relative error ${err}`);
    }
  }
  assert.deepEqual(r.unplanned, []);
  // the pool past the input's end runs on the kernel (lowering/pooling.py pads the end for it)
  assert.deepEqual(r.pools, [['NhwcPool', 'bound']], JSON.stringify(r.pools));
});

test('a zoo model fed an input of the wrong rank gets InputError, naming the input', { timeout: 120_000, skip: missing }, async (t) => {
  const entry = manifest.models.find((m) => m.key === 'yolov8n_320');
  const r = await py.runJSON(`
sess = wasm_infer.InferenceSession("/zoo/${entry.file}")
try:
    sess.run(None, {"images": np.zeros((3, 320, 320), np.float32)})
    out = {"raised": None}
except Exception as e:
    out = {"raised": type(e).__name__, "message": str(e)}
json.dumps(out)
`, t);
  assert.equal(r.raised, 'InputError');
  assert.match(r.message, /images/);
});
