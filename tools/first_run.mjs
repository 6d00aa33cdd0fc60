// What a page waits for before its first result, per zoo model, inside Pyodide in Node:
// `InferenceSession(bytes)`, the first run (each step run once on fresh arrays while weights are
// packed and address tables built, then the memory plan) and the second run (the planned steady
// state). Each repetition makes a new session of every model, models interleaved; best of --reps.
// Modules are imported by a warm-up load of every model first, so compiling them is not counted.
//
//   node tools/first_run.mjs [--reps 3] [--models a,b] [--wheel PATH]
//
// --models: zoo keys (build/zoo/KEY.onnx); default all. --wheel: measure this wasm_infer wheel
// instead of the built one (build/dist), to compare two versions.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { BUILD, bootPyodide } from './pyodide_node.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const reps = Number(opt('--reps', '3'));
const wheel = opt('--wheel', true);
const zoo = path.join(BUILD, 'zoo');
if (!existsSync(zoo)) throw new Error('build/zoo is missing: run `python3 build.py bench --zoo` (or `python3 build.py setup`) first');
const all = readdirSync(zoo).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5)).sort();
const models = opt('--models', all.join(',')).split(',');
const unknown = models.filter((m) => !all.includes(m));
if (!(reps >= 1) || unknown.length) {
  throw new Error(`usage: node tools/first_run.mjs [--reps R] [--models a,b] [--wheel PATH]` +
                  (unknown.length ? `; not in build/zoo: ${unknown.join(', ')}` : ''));
}

const { pyodide } = await bootPyodide({ packages: ['numpy'], wheel });
pyodide.FS.mkdirTree('/zoo');
for (const m of models) {
  for (const ext of ['.onnx', '.feeds.npz']) pyodide.FS.writeFile(`/zoo/${m}${ext}`, readFileSync(path.join(zoo, m + ext)));
}
const out = pyodide.runPython(`
import json, time, numpy as np, wasm_infer
models, reps = ${JSON.stringify(models)}, ${reps}
feeds = {m: np.load(f"/zoo/{m}.feeds.npz") for m in models}

def once(m):
    data = open(f"/zoo/{m}.onnx", "rb").read()
    t0 = time.perf_counter()
    sess = wasm_infer.InferenceSession(data)
    t1 = time.perf_counter()
    f = {a.name: feeds[m][f"in{i}"] for i, a in enumerate(sess.get_inputs())}
    t2 = time.perf_counter()
    sess.run(None, f)
    t3 = time.perf_counter()
    sess.run(None, f)
    t4 = time.perf_counter()
    return [t1 - t0, t3 - t2, t4 - t3]

for m in models:      # imports every module the models need, so no rep pays for compiling them
    once(m)
best = {m: [float("inf")] * 3 for m in models}
for _ in range(reps):
    for m in models:
        best[m] = [min(a, b) for a, b in zip(best[m], once(m))]
json.dumps(best)
`);
const best = JSON.parse(out);
console.log(`ms inside Pyodide in Node, best of ${reps}, models interleaved, a new session each time`);
console.log(`${'model'.padEnd(30)} ${'load'.padStart(8)} ${'first run'.padStart(10)} ${'second run'.padStart(11)}`);
for (const m of models) {
  const [load, first, second] = best[m].map((t) => (t * 1e3).toFixed(1));
  console.log(`${m.padEnd(30)} ${load.padStart(8)} ${first.padStart(10)} ${second.padStart(11)}`);
}
