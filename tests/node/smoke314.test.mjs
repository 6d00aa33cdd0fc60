// Smoke test on a newer Pyodide (314.0.7, Python 3.14, no numpy): the same
// kernel side module loads with ctypes.CDLL and computes a GEMM on ctypes
// arrays. Guards against depending on one Pyodide/Emscripten version.
//
// Run: node --test tests/node/   (after `python3 build.py test` built the kernels)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../tools/pyodide_node.mjs';
import { BOOT_MS, PyodideThread } from '../../tools/pyodide_thread.mjs';

const SO = path.join(ROOT, 'build', 'kernels', '_kernels.so');
const PYODIDE_314 = path.join(ROOT, 'node_modules', 'pyodide-314');

const py = new PyodideThread({ packages: [], dir: PYODIDE_314 }, (fresh) => fresh.writeFile('/tmp/k/_kernels.so', readFileSync(SO)));
after(() => py.terminate());

// The boot is part of the test (idle: about 3 s), so its time limit is the boot's.
test('Pyodide 314: ctypes.CDLL(_kernels.so) and f32_gemm_minmax__wasmsimd on ctypes arrays', { timeout: BOOT_MS }, async (t) => {
  if (!existsSync(SO)) {
    throw new Error(`kernel module not found at ${path.relative(ROOT, SO)}: run \`python3 build.py test\` first`);
  }
  const result = await py.run(`
import ctypes, sys
lib = ctypes.CDLL("/tmp/k/_kernels.so")
assert lib.wasm_infer_kernels_abi_version() == 3
m, n, k = 5, 11, 7          # not multiples of the 4x8 tile: exercises the edges
A = [[(i * 7 + p * 3) % 11 / 10 - 0.5 for p in range(k)] for i in range(m)]
B = [[(p * 5 + j * 2) % 13 / 10 - 0.6 for j in range(n)] for p in range(k)]
bias = [j / 10 - 0.5 for j in range(n)]
lo, hi = 0.0, 0.75
a = (ctypes.c_float * (m * k))(*[v for row in A for v in row])
b = (ctypes.c_float * (k * n))(*[v for row in B for v in row])
bb = (ctypes.c_float * n)(*bias)
c = (ctypes.c_float * (m * n))()
params = (ctypes.c_float * 2)(lo, hi)
addr = ctypes.addressof
lib.f32_gemm_minmax__wasmsimd(m, n, k, addr(a), k, addr(b), n, addr(bb), addr(c), n, addr(params))
worst = 0.0
for i in range(m):
    for j in range(n):
        want = min(max(sum(A[i][p] * B[p][j] for p in range(k)) + bias[j], lo), hi)
        worst = max(worst, abs(c[i * n + j] - want))
[sys.version_info[:2], worst]
`, t);
  const [[major, minor], worst] = result;
  assert.deepEqual([major, minor], [3, 14]);
  assert.ok(worst < 1e-5, `max abs error ${worst}`);
});
