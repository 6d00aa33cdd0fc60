// Boot the offline Pyodide distribution (build/pyodide/) in Node.
// Shared by the demo, the Node tests and the benchmarks, so they all run the
// same interpreter set up the same way.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD = path.join(ROOT, 'build');
export const PYODIDE_DIR = path.join(BUILD, 'pyodide');

let hostPy = null;

/** The host Python that writes test models and references: $PYTHON, else the
 * project's .venv, else python3 (looked up once per process). */
export function hostPython() {
  if (hostPy) return hostPy;
  if (process.env.PYTHON) return (hostPy = process.env.PYTHON);
  const venv = path.join(ROOT, '.venv', 'bin', 'python');
  try { execFileSync(venv, ['-c', '0']); hostPy = venv; } catch { hostPy = 'python3'; }
  return hostPy;
}

function requireBuilt(file, what) {
  if (!existsSync(file)) {
    throw new Error(`${what} not found at ${path.relative(ROOT, file)}: run \`python3 build.py test\` (or \`python3 build.py demo\`) once to build it`);
  }
  return file;
}

// The built wasm_infer wheel (build/dist/wasm_infer-*.whl).
export async function wheelPath() {
  const { readdirSync } = await import('node:fs');
  const dist = path.join(BUILD, 'dist');
  const wheels = existsSync(dist) ? readdirSync(dist).filter((f) => f.endsWith('.whl')) : [];
  if (wheels.length !== 1) requireBuilt(path.join(dist, 'wasm_infer-*.whl'), 'the wasm_infer wheel');
  return path.join(dist, wheels[0]);
}

// Returns { pyodide, timings } where timings (ms) has boot and install.
// packages: names from Pyodide's lock file (e.g. 'numpy'); wheel: also install
// the wasm_infer wheel (its _kernels.so is preloaded by Pyodide's loader): true
// for the built one, or a wheel's path (to measure another version).
export async function bootPyodide({ packages = ['numpy'], wheel = false, env = {}, dir = PYODIDE_DIR } = {}) {
  requireBuilt(path.join(dir, 'pyodide.asm.wasm'), 'the offline Pyodide distribution');
  const { loadPyodide } = await import(path.join(dir, 'pyodide.mjs'));
  const t0 = performance.now();
  // wasm_infer's switches (WASM_INFER_BACKEND, WASM_INFER_DEBUG, ...) pass through.
  const passed = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('WASM_INFER_')));
  const pyodide = await loadPyodide({ indexURL: dir + path.sep, env: { HOME: '/home/pyodide', ...passed, ...env }, stdout: () => {}, stderr: (s) => process.stderr.write(s + '\n') });
  const t1 = performance.now();
  const toLoad = [...packages];
  if (wheel) toLoad.push(typeof wheel === 'string' ? path.resolve(wheel) : await wheelPath());
  if (toLoad.length) await pyodide.loadPackage(toLoad, { messageCallback: () => {} });
  const t2 = performance.now();
  return { pyodide, timings: { boot_ms: t1 - t0, install_ms: t2 - t1 } };
}
