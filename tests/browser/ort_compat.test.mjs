// `import onnxruntime` inside Pyodide in Chromium, through wasm_infer's drop-in
// (`import wasm_infer.auto_onnxruntime`): the same check as
// tests/node/ort_compat.test.mjs, on a page. The page boots the offline Pyodide
// of the built site (build/site/pyodide), installs numpy, Pillow, the site's
// wasm_infer wheel and the two clients' wheels (magika, captcha-whisperer;
// tools/ort_clients.py) from the local server, runs tests/ort_clients_run.py on
// the inputs it wrote (the clients' files and captchas, and the README's
// onnxruntime example) and must give what native onnxruntime gives.
//
// Needs Debian's chromium (or CHROMIUM=/path); skipped, saying so, without one.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium, launchChromium } from '../../tools/chromium.mjs';
import { startServer } from '../../tools/serve.mjs';
import { INPUT_KINDS, RUNNER, assertSameResults, clientWheels, nativeResults } from '../node/ort_clients.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SITE = path.join(ROOT, 'build', 'site');
// Generous limits for a busy 2-core machine, one per step (idle: boot ~10 s, each test a few seconds).
const BOOT_MS = 240_000;
const TEST_MS = 240_000;

const built = existsSync(path.join(SITE, 'pyodide', 'pyodide.mjs')) && existsSync(path.join(SITE, 'wheels'));
const chromiumPath = findChromium();
const skip = !built ? 'build/site is missing: run `python3 build.py test` (it builds the site)'
  : chromiumPath ? false : 'no Chromium found (install Debian\'s `chromium` or set CHROMIUM=/path/to/chromium) — skipped';
if (skip) console.log(`# SKIP: ${skip}`);

// Run Python on the page's Pyodide; the code's last expression is a JSON string.
const runJSON = (page, code) => page.evaluate(async (c) => JSON.parse(await window.pyodide.runPythonAsync(c)), code);

describe('the onnxruntime drop-in in Pyodide in Chromium', { skip }, () => {
  let scratch; let inputs; let real; let server; let browser; let page;
  const requests = [];
  const log = [];

  before(async () => {
    const wheels = clientWheels();
    ({ inputs, real } = nativeResults(wheels));
    // What the page is served: the built site's Pyodide and wheel, the clients, the runner and its inputs.
    scratch = mkdtempSync(path.join(os.tmpdir(), 'ort-compat-page-'));
    symlinkSync(path.join(SITE, 'pyodide'), path.join(scratch, 'pyodide'), 'dir');
    symlinkSync(path.join(SITE, 'wheels'), path.join(scratch, 'wheels'), 'dir');
    mkdirSync(path.join(scratch, 'clients'));
    for (const w of wheels) copyFileSync(w, path.join(scratch, 'clients', path.basename(w)));
    copyFileSync(RUNNER, path.join(scratch, 'ort_clients_run.py'));
    const files = [];
    for (const kind of INPUT_KINDS) {
      mkdirSync(path.join(scratch, 'inputs', kind), { recursive: true });
      for (const f of readdirSync(path.join(inputs, kind))) {
        copyFileSync(path.join(inputs, kind, f), path.join(scratch, 'inputs', kind, f));
        files.push(`inputs/${kind}/${f}`);
      }
    }
    writeFileSync(path.join(scratch, 'index.html'), '<!doctype html><title>onnxruntime drop-in</title>\n');
    server = await startServer(scratch);
    browser = await launchChromium(chromiumPath);
    page = await browser.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
    await page.goto(server.url);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('WASM_INFER_')));
    const site = readdirSync(path.join(SITE, 'wheels')).filter((f) => f.endsWith('.whl'));
    assert.equal(site.length, 1, 'build/site/wheels holds one wasm_infer wheel');
    const packages = ['numpy', 'pillow', `wheels/${site[0]}`, ...wheels.map((w) => `clients/${path.basename(w)}`)];
    try {
      await page.evaluate(async ({ env, packages, files }) => {
        const { loadPyodide } = await import('/pyodide/pyodide.mjs');
        const pyodide = await loadPyodide({ indexURL: '/pyodide/', env: { HOME: '/home/pyodide', ...env } });
        // Wheels by URL: installed as they are, without dependencies (onnxruntime is the drop-in).
        const problems = [];
        await pyodide.loadPackage(packages.map((p) => (p.endsWith('.whl') ? new URL(p, location.href).href : p)),
          { messageCallback: () => {}, errorCallback: (s) => problems.push(s) });
        if (problems.length) throw new Error(problems.join('\n'));
        for (const f of [...files, 'ort_clients_run.py']) {
          const r = await fetch(f);
          if (!r.ok) throw new Error(`${f}: HTTP ${r.status}`);
          const to = f === 'ort_clients_run.py' ? '/clients/ort_clients_run.py' : `/${f}`;
          pyodide.FS.mkdirTree(to.slice(0, to.lastIndexOf('/')));
          pyodide.FS.writeFile(to, new Uint8Array(await r.arrayBuffer()));
        }
        window.pyodide = pyodide;
      }, { env, packages, files });
    } catch (e) {
      console.log(log.slice(-40).join('\n'));
      throw e;
    }
  }, { timeout: BOOT_MS });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      server?.stop();
      for (const dir of [scratch, inputs]) if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }, { timeout: 60_000 });

  it('imports onnxruntime after the opt-in and runs magika\'s model on the wasm kernels', { timeout: TEST_MS }, async () => {
    const r = await runJSON(page, `
import json, numpy as np, pathlib
import wasm_infer.auto_onnxruntime
import onnxruntime as ort
import magika, wasm_infer
sess = ort.InferenceSession(str(pathlib.Path(magika.__file__).parent / "models" / "standard_v3_3" / "model.onnx"))
(y,) = sess.run(None, {"bytes": np.zeros((1, 2048), np.int32)})
json.dumps({"module": ort.__name__, "providers": ort.get_available_providers(), "backend": sess._sess.backend,
            "platform": wasm_infer.runtime_info()["platform"], "shape": list(y.shape)})
`);
    assert.equal(r.module, 'wasm_infer.onnxruntime');
    assert.deepEqual(r.providers, ['CPUExecutionProvider']);
    assert.equal(r.platform, 'pyodide');
    // The wasm kernels ran (relaxed SIMD where Chromium has it), not the NumPy fallback.
    assert.ok(['simd128', 'relaxed'].includes(r.backend), r.backend);
    assert.deepEqual(r.shape, [1, 214]);
  });

  it('runs magika, captcha-whisperer and the README example unchanged, matching native onnxruntime', { timeout: TEST_MS }, async () => {
    const ours = await runJSON(page, `
import wasm_infer.auto_onnxruntime
import json, runpy
runner = runpy.run_path("/clients/ort_clients_run.py")
json.dumps(runner["run"]("/inputs"))
`);
    assertSameResults(ours, real);
    // Everything came from the local server: Pyodide, numpy, Pillow and the wheels.
    assert.deepEqual(requests.filter((u) => !u.startsWith(server.url)), [], 'only the local server was asked');
    assert.ok(requests.some((u) => u.endsWith('/clients/magika-1.0.3-py3-none-any.whl')), 'magika came from the server');
    assert.ok(requests.some((u) => /\/wheels\/wasm_infer-[^/]+\.whl$/.test(u)), 'the site\'s wheel was installed');
  });
});
