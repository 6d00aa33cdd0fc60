// What the Pyodide tests of the onnxruntime drop-in share (in Node:
// tests/node/ort_compat.test.mjs; in Chromium: tests/browser/ort_compat.test.mjs):
// the client wheels (tools/ort_clients.py), the inputs and native onnxruntime's
// results from tests/ort_clients_run.py, and the comparison of our results with them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD, ROOT, hostPython } from '../../tools/pyodide_node.mjs';

export const RUNNER = path.join(ROOT, 'tests', 'ort_clients_run.py');
export const INPUT_KINDS = ['magika', 'captcha', 'readme'];   // the folders `prepare` writes
const CLIENTS = path.join(BUILD, 'cache', 'ort-clients');
const TOL = 1e-4;            // scores and confidences: float32 rounding, kernels vs onnxruntime

/** The clients' py3-none-any wheels (build/cache/ort-clients, from `build.py setup`). */
export function clientWheels() {
  const wheels = existsSync(CLIENTS) ? readdirSync(CLIENTS).filter((f) => f.endsWith('-none-any.whl')) : [];
  if (!wheels.some((f) => f.startsWith('magika-')) || !wheels.some((f) => f.startsWith('captcha_whisperer-'))) {
    throw new Error(`client wheels not found in ${path.relative(ROOT, CLIENTS)}: run \`python3 build.py setup\` first`);
  }
  return wheels.map((f) => path.join(CLIENTS, f));
}

/** Writes the inputs into a fresh temporary folder; returns { inputs, real } (native onnxruntime's results). */
export function nativeResults(wheels) {
  const inputs = mkdtempSync(path.join(os.tmpdir(), 'ort-clients-'));
  const env = { ...process.env, PYTHONPATH: ROOT };
  execFileSync(hostPython(), [RUNNER, 'prepare', inputs], { timeout: 120_000, env });
  const real = JSON.parse(execFileSync(hostPython(), [RUNNER, 'run', inputs, ...wheels], { timeout: 120_000, env }).toString());
  return { inputs, real };
}

/** `ours` (the drop-in in Pyodide) gives what `real` (native onnxruntime) gave: labels, texts, the README example. */
export function assertSameResults(ours, real) {
  assert.equal(real.onnxruntime, 'onnxruntime');
  assert.equal(ours.onnxruntime, 'wasm_infer.onnxruntime');
  assert.ok(real.magika.length >= 8 && real.captcha.length === 4);
  assert.deepEqual(ours.magika.map((m) => [m.file, m.label, m.dl]), real.magika.map((m) => [m.file, m.label, m.dl]));
  ours.magika.forEach((m, i) => assert.ok(Math.abs(m.score - real.magika[i].score) <= TOL, `${m.file}: ${m.score} vs ${real.magika[i].score}`));
  assert.deepEqual(ours.captcha.map((c) => [c.file, c.text]), real.captcha.map((c) => [c.file, c.text]));
  ours.captcha.forEach((c, i) => {
    const want = real.captcha[i];
    assert.ok(Math.abs(c.confidence - want.confidence) <= TOL, `${c.file}: ${c.confidence} vs ${want.confidence}`);
    assert.equal(c.char_confidences.length, want.char_confidences.length);
    c.char_confidences.forEach((v, j) => assert.ok(Math.abs(v - want.char_confidences[j]) <= TOL, `${c.file}[${j}]`));
  });
  // captcha-whisperer sets enable_cpu_mem_arena=False: accepted, and reported
  assert.ok(ours.warnings.some((w) => w.includes('enable_cpu_mem_arena=False')), ours.warnings.join('\n'));
  // the README's onnxruntime example, as written there, on magika's model
  assert.equal(real.readme.module, 'onnxruntime');
  assert.equal(ours.readme.module, 'wasm_infer.onnxruntime');
  assert.deepEqual(ours.readme.shape, [2, 214]);
  assert.deepEqual(real.readme.shape, [2, 214]);
  const worst = Math.max(...ours.readme.y.map((v, i) => Math.abs(v - real.readme.y[i])));
  assert.ok(worst <= TOL, `README example: outputs differ by ${worst}`);
}
