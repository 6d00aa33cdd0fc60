// The npm package of the JS shim (web/package.json) as a web developer gets
// it: `npm pack` makes the tarball, `npm install <tarball>` (offline: it has no
// dependencies) puts it into a scratch project, and a model runs from that
// copy, with Pyodide and the wheel given by URL (pyodideURL / wheelURL):
//  - in Node, importing the package by its name from the scratch project (the
//    Web Worker is tests/node/shim_webworker.mjs, Node having none);
//  - in Chromium, on a page served from the scratch project that imports the
//    shim from its node_modules (skipped, saying so, without a Chromium).
// Pyodide is the offline build/pyodide and the wheel build/dist's.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tinyClassifier } from './onnx_min.mjs';
import { findChromium, launchChromium } from '../../tools/chromium.mjs';
import { startServer } from '../../tools/serve.mjs';
import { installWebWorker } from '../node/shim_webworker.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD = path.join(ROOT, 'build');
const WEB = path.join(ROOT, 'web');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// Generous limits for a busy 2-core machine; each test has its own.
const PACK_MS = 120_000;
const RUN_MS = 240_000;

const wheels = existsSync(path.join(BUILD, 'dist')) ? readdirSync(path.join(BUILD, 'dist')).filter((f) => f.endsWith('.whl')) : [];
const built = existsSync(path.join(BUILD, 'pyodide', 'pyodide.mjs')) && wheels.length === 1;
const notBuilt = built ? false : 'build/pyodide or the wheel in build/dist is missing: run `python3 build.py setup`';
const chromiumPath = findChromium();
const noChromium = notBuilt || (chromiumPath ? false : 'no Chromium found (install Debian\'s `chromium` or set CHROMIUM=/path/to/chromium) — the page test is skipped');

// A batch of 2 images whose channel c holds c + 1 (+ 10 for the second): the model's scores are the channel means.
const DIMS = [2, 3, 32, 32];
const PIXELS = Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => Math.floor(i / 1024) % 3 + 1 + (i >= 3 * 1024 ? 10 : 0));
const SCORES = [1, 2, 3, 11, 12, 13];

const npm = (args, cwd) => execFileSync(NPM, args, { cwd, encoding: 'utf8', timeout: PACK_MS, stdio: ['ignore', 'pipe', 'pipe'] });

describe('the npm package wasm-infer', { skip: notBuilt }, () => {
  let scratch; let manifest; let packed;

  before(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'wasm-infer-npm-'));
    const [info] = JSON.parse(npm(['pack', '--json', '--pack-destination', scratch], WEB));
    packed = info;
    writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }));
    npm(['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', path.join(scratch, info.filename)], scratch);
    manifest = JSON.parse(readFileSync(path.join(WEB, 'package.json'), 'utf8'));
    // What the app itself would serve: Pyodide and the wheel, next to its node_modules.
    symlinkSync(path.join(BUILD, 'pyodide'), path.join(scratch, 'pyodide'), 'dir');
    copyFileSync(path.join(BUILD, 'dist', wheels[0]), path.join(scratch, wheels[0]));
    // The app's own module, importing the package by name (resolved from its node_modules).
    writeFileSync(path.join(scratch, 'app.mjs'), "export { WasmInfer } from 'wasm-infer';\n");
    // The app's page, importing the shim from node_modules without a bundler.
    writeFileSync(path.join(scratch, 'index.html'), '<!doctype html><title>app</title><script type="module">\n'
      + "import { WasmInfer } from './node_modules/wasm-infer/wasm_infer.js';\nwindow.WasmInfer = WasmInfer;\n</script>\n");
  }, { timeout: PACK_MS });

  after(() => { if (scratch) rmSync(scratch, { recursive: true, force: true }); });

  it('holds the shim, its worker and bridge, the README and the LICENSE, at the version of the wheel', () => {
    const files = packed.files.map((f) => f.path).sort();
    assert.deepEqual(files, ['LICENSE', 'README.md', 'package.json', 'wasm_infer.js', 'wasm_infer.worker.js', 'wasm_infer_args.js',
      'wasm_infer_bridge.py', 'wasm_infer_channel.js', 'wasm_infer_errors.js', 'wasm_infer_session.js']);
    assert.equal(packed.name, 'wasm-infer');
    const pyproject = readFileSync(path.join(ROOT, 'pyproject.toml'), 'utf8');
    assert.equal(manifest.version, /^version = "([^"]+)"/m.exec(pyproject)[1]);
    assert.equal(wheels[0], `wasm_infer-${manifest.version}-py3-none-any.whl`);
    assert.deepEqual(readFileSync(path.join(WEB, 'LICENSE')), readFileSync(path.join(ROOT, 'LICENSE')));
    const installed = path.join(scratch, 'node_modules', 'wasm-infer');
    for (const f of files) assert.deepEqual(readFileSync(path.join(installed, f)), readFileSync(path.join(WEB, f)), f);
  });

  it('runs a model in Node from the installed package', { timeout: RUN_MS }, async () => {
    installWebWorker();
    const { WasmInfer } = await import(pathToFileURL(path.join(scratch, 'app.mjs')).href);
    const rt = await WasmInfer.init({
      pyodideURL: pathToFileURL(path.join(scratch, 'pyodide') + path.sep).href,
      wheelURL: pathToFileURL(path.join(scratch, wheels[0])).href,
    });
    try {
      assert.equal(rt.info.wasm_infer, manifest.version);
      const session = await rt.load(tinyClassifier().buffer);
      const { outputs } = await session.run({ image: { data: PIXELS, dims: DIMS } });
      assert.deepEqual(outputs.scores.dims, [2, 3]);
      assert.deepEqual(Array.from(outputs.scores.data), SCORES);
      assert.equal(session.backend, 'simd128');
    } finally {
      rt.terminate();
    }
  });

  describe('in Chromium', { skip: noChromium }, () => {
    let server; let browser;
    before(async () => {
      server = await startServer(scratch);
      browser = await launchChromium(chromiumPath);
    }, { timeout: PACK_MS });
    after(async () => { await browser?.close(); server?.stop(); });

    it('runs a model on a page that imports the shim from node_modules', { timeout: RUN_MS }, async () => {
      const page = await browser.newPage();
      const requests = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(server.url);
      await page.waitForFunction(() => window.WasmInfer, null, { timeout: RUN_MS });
      const result = await page.evaluate(async ({ wheel, model, pixels, dims }) => {
        const { WasmInfer } = window;
        const rt = await WasmInfer.init({ pyodideURL: '/pyodide/', wheelURL: `/${wheel}` });
        const session = await rt.load(new Uint8Array(model).buffer);
        const { outputs } = await session.run({ image: { data: new Float32Array(pixels), dims } });
        const out = { version: rt.info.wasm_infer, backend: session.backend, dims: outputs.scores.dims, scores: Array.from(outputs.scores.data) };
        rt.terminate();
        return out;
      }, { wheel: wheels[0], model: Array.from(tinyClassifier()), pixels: Array.from(PIXELS), dims: DIMS });
      // The wasm kernels ran (the relaxed-SIMD build where Chromium has relaxed SIMD), not the NumPy fallback.
      assert.ok(['simd128', 'relaxed'].includes(result.backend), result.backend);
      assert.deepEqual({ ...result, backend: 'kernels' }, { version: manifest.version, backend: 'kernels', dims: [2, 3], scores: SCORES });
      assert.ok(requests.some((u) => u.includes('/node_modules/wasm-infer/wasm_infer.worker.js')), 'the worker came from the package');
      assert.ok(requests.some((u) => u.includes('/node_modules/wasm-infer/wasm_infer_bridge.py')), 'the bridge came from the package');
      assert.deepEqual(requests.filter((u) => !u.startsWith(server.url)), [], 'only the app\'s origin was asked');
      await page.close();
    });
  });
});
