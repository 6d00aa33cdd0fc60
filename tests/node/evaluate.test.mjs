// wasm_infer.evaluate inside Pyodide: a labelled folder of the sample photos
// (one deliberately mislabelled, one corrupt file), progress reported through
// a callback, top-1 classes the same as onnxruntime's on the same photos
// (build/reference), and the regression set re-run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUILD } from '../../tools/pyodide_node.mjs';
import { BOOT_MS, PyodideThread } from '../../tools/pyodide_thread.mjs';

// Per test, for a busy 2-core machine (idle: about 2 s).
const TEST_MS = 180_000;
// photo → the folder (class name) it goes in; coffee also goes in goldfish/, a wrong label
const FOLDERS = { 'chelsea.png': 'Egyptian Mau', 'coffee.png': 'espresso', 'rocket.jpg': 'missile', 'motorcycle_left.png': 'moped' };

const py = new PyodideThread({ packages: ['numpy', 'pillow'], wheel: true }, async (fresh) => {
  await fresh.writeFile('/ref/model.onnx', readFileSync(path.join(BUILD, 'models', 'efficientnet_lite0.onnx')));
  await fresh.writeFile('/ref/labels.json', readFileSync(path.join(BUILD, 'data', 'imagenet_labels.json')));
  for (const [photo, folder] of Object.entries(FOLDERS)) {
    await fresh.writeFile(`/photos/${folder}/${photo}`, readFileSync(path.join(BUILD, 'data', 'images', photo)));
  }
  await fresh.writeFile('/photos/goldfish/coffee.png', readFileSync(path.join(BUILD, 'data', 'images', 'coffee.png')));
  await fresh.writeFile('/photos/moped/corrupt.jpg', Buffer.from('not a JPEG at all'));
});
before(() => py.start(), { timeout: BOOT_MS });
after(() => py.terminate());

test('evaluate runs in Pyodide with a progress callback; mistakes, skips and top-1 as onnxruntime', { timeout: TEST_MS }, async (t) => {
  const r = await py.runJSON(`
import json, wasm_infer
sess = wasm_infer.InferenceSession("/ref/model.onnx")
calls = []
rep = wasm_infer.evaluate(sess, "/photos", labels="/ref/labels.json", progress=lambda d, n: calls.append([d, n]))
n = rep.regression_set("/ref/hard.json")
again = wasm_infer.evaluate(sess, "/ref/hard.json", labels="/ref/labels.json", progress=False)
json.dumps({"backend": sess.backend, "calls": calls, "top1": rep.top1_accuracy,
            "records": {r["name"]: r["top"][0][0] for r in rep.records},
            "true": {r["name"]: r["true"] for r in rep.records},
            "mistakes": [r["name"] for r in rep.mistakes], "skipped": [s["name"] for s in rep.skipped],
            "hard": sorted(again.by_name), "hard_cases": sorted(r["name"] for r in rep.hard_cases()),
            "changed": len(wasm_infer.compare(rep, again).changed)})
`, t);
  assert.ok(['simd128', 'relaxed'].includes(r.backend), r.backend);
  assert.deepEqual(r.calls, [1, 2, 3, 4, 5, 6].map((d) => [d, 6]));
  assert.deepEqual(r.skipped, ['moped/corrupt.jpg']);
  assert.ok(r.mistakes.includes('goldfish/coffee.png'), JSON.stringify(r.mistakes));
  for (const [photo, folder] of Object.entries(FOLDERS)) {
    const npy = readFileSync(path.join(BUILD, 'reference', `${photo}.logits.npy`));     // header, then 1,000 float32
    const end = npy.byteOffset + npy.length;
    const ref = [...new Float32Array(npy.buffer.slice(end - 4000, end))];
    const refTop1 = ref.indexOf(Math.max(...ref));
    assert.equal(r.records[`${folder}/${photo}`], refTop1, `${photo}: onnxruntime says ${refTop1}`);
  }
  const correct = Object.keys(r.records).filter((n) => r.records[n] === r.true[n]).length;
  assert.equal(r.top1, correct / Object.keys(r.records).length);
  assert.deepEqual(r.hard, r.hard_cases);
  assert.equal(r.changed, 0, 'the same model on its own hard cases gives the same predictions');
});

test('the same folder gives the same numbers natively and in Pyodide: accuracy, confusions, every photo\'s top-5', { timeout: TEST_MS }, async (t) => {
  // The same photos in a folder on the host, evaluated by the .venv Python (NumPy backend).
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const root = path.resolve(BUILD, '..');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm_infer_eval_'));
  try {
    for (const [photo, folder] of Object.entries(FOLDERS)) {
      mkdirSync(path.join(dir, folder), { recursive: true });
      writeFileSync(path.join(dir, folder, photo), readFileSync(path.join(BUILD, 'data', 'images', photo)));
    }
    mkdirSync(path.join(dir, 'goldfish'));
    writeFileSync(path.join(dir, 'goldfish', 'coffee.png'), readFileSync(path.join(BUILD, 'data', 'images', 'coffee.png')));
    mkdirSync(path.join(dir, 'moped'), { recursive: true });
    writeFileSync(path.join(dir, 'moped', 'corrupt.jpg'), Buffer.from('not a JPEG at all'));
    const summary = `
import json, sys, wasm_infer
sess = wasm_infer.InferenceSession(sys.argv[1])
rep = wasm_infer.evaluate(sess, sys.argv[2], labels=sys.argv[3], progress=False)
print(json.dumps({"top1": rep.top1_accuracy, "topk": rep.topk_accuracy,
                  "confusions": rep.summary["confusions"], "matrix": rep.summary["confusion"],
                  "tops": {r["name"]: r["top"] for r in rep.records}}))
`;
    const python = process.env.PYTHON || path.join(root, '.venv', 'bin', 'python');
    const native = JSON.parse(execFileSync(python, ['-c', summary, path.join(BUILD, 'models', 'efficientnet_lite0.onnx'), dir,
      path.join(BUILD, 'data', 'imagenet_labels.json')], { cwd: root, env: { ...process.env, PYTHONPATH: root }, timeout: TEST_MS }).toString());
    const ours = await py.runJSON(`
import json, wasm_infer
sess = wasm_infer.InferenceSession("/ref/model.onnx")
rep = wasm_infer.evaluate(sess, "/photos", labels="/ref/labels.json", progress=False)
json.dumps({"top1": rep.top1_accuracy, "topk": rep.topk_accuracy,
            "confusions": rep.summary["confusions"], "matrix": rep.summary["confusion"],
            "tops": {r["name"]: r["top"] for r in rep.records}})
`, t);
    assert.equal(ours.top1, native.top1);
    assert.equal(ours.topk, native.topk);
    assert.deepEqual(ours.confusions, native.confusions);
    assert.deepEqual(ours.matrix, native.matrix);
    assert.deepEqual(Object.keys(ours.tops).sort(), Object.keys(native.tops).sort());
    for (const [name, top] of Object.entries(native.tops)) {
      assert.deepEqual(ours.tops[name].map(([c]) => c), top.map(([c]) => c), `${name}: top-5 classes`);
      for (let i = 0; i < top.length; i++) {
        assert.ok(Math.abs(ours.tops[name][i][1] - top[i][1]) <= 1e-4, `${name}: probability ${ours.tops[name][i][1]} vs ${top[i][1]}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
