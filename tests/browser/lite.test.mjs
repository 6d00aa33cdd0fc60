// The JupyterLite site (build/site/lite, `python3 build.py lite`) in Chromium,
// as a user would use it: open an example notebook in the Notebook app, run all
// cells on the Pyodide kernel, wait for the kernel to be idle, read the outputs.
// classify.ipynb must label chelsea.png a cat with the wasm SIMD kernels;
// bring_your_own_model.ipynb must find kernels and NumPy in agreement;
// evaluate.ipynb must evaluate its labelled folder on the kernels; none
// may show an error. Every request the browser makes (page, kernel worker,
// service worker) must go to 127.0.0.1: the site is served by tools/serve.py.
//
// Needs Debian's chromium (`apt-get install chromium`, or CHROMIUM=/path);
// skipped, saying so, when there is none. WASM_INFER_SCREENSHOT=file.png saves
// a screenshot of classify.ipynb after the run (docs/screenshot-lite.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium, launchChromium } from '../../tools/chromium.mjs';
import { startServer } from '../../tools/serve.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SITE = path.join(ROOT, 'build', 'site');
const CAT = /Egyptian Mau|tabby|tiger cat|Persian cat|Siamese cat/;

// build/site (the web demo, with JupyterLite at /lite/) when the site step
// has run, else the JupyterLite folder on its own at /.
const WHOLE_SITE = existsSync(path.join(SITE, 'index.html'));

const chromium = process.env.CHROMIUM || findChromium();   // a CHROMIUM that does not exist fails, not skips
const skip = chromium ? false : 'no Chromium: install Debian\'s `chromium` (or set CHROMIUM=/path/to/chrome)';
let server, browser, base;

before(async () => {
  if (skip) return;
  assert.ok(existsSync(path.join(SITE, 'lite', 'index.html')),
    'build/site/lite is missing: run `python3 build.py lite` (`python3 build.py test` builds it too)');
  server = await startServer(WHOLE_SITE ? SITE : path.join(SITE, 'lite'));
  base = WHOLE_SITE ? `${server.url}lite` : server.url.replace(/\/$/, '');
  browser = await launchChromium(chromium);
}, { timeout: 120_000 });

after(async () => {
  try {
    await browser?.close();
  } finally {
    server?.stop();
  }
}, { timeout: 60_000 });

// Open `name`, run all cells, wait until the kernel is idle and every code cell
// has run; returns the outputs' text (plain and markdown) and the error outputs.
async function runNotebook(name, { screenshot, then } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1500 } });
  const requests = [];
  const log = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  const t0 = Date.now();
  const mark = (what) => console.log(`${name}: ${what} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  try {
    await page.goto(`${base}/notebooks/index.html?path=${name}`);
    await page.waitForFunction(() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel,
      null, { timeout: 60_000 });
    await page.waitForFunction(() => {
      const ctx = window.jupyterapp.shell.currentWidget.sessionContext;
      return ctx.isReady && ctx.session.kernel.status === 'idle';
    }, null, { timeout: 120_000, polling: 250 });
    mark('kernel idle');
    // Resolves to false when a cell fails (the error output says why, below).
    const ran = await page.evaluate(() => window.jupyterapp.commands.execute('notebook:run-all-cells'));
    await page.waitForFunction((ran) => {
      const nb = window.jupyterapp.shell.currentWidget;
      return nb.sessionContext.session.kernel.status === 'idle' && (!ran || nb.content.widgets
        .filter((c) => c.model.type === 'code').every((c) => c.model.executionCount !== null));
    }, ran, { timeout: 120_000, polling: 250 });
    mark('all cells ran');
    const cells = await page.evaluate(() => window.jupyterapp.shell.currentWidget.content.model.toJSON().cells);
    const outputs = cells.flatMap((c) => c.outputs || []);
    const text = outputs.map((o) => [o.text, o.data?.['text/markdown'], o.data?.['text/plain']].flat()
      .filter((v) => typeof v === 'string').join('')).join('\n');
    const errors = outputs.filter((o) => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr'))
      .map((o) => (o.ename ? `${o.ename}: ${o.evalue}` : [o.text].flat().join('')));
    if (screenshot) {
      // Scroll the notebook to the photo, so the top-5 and the timings show.
      await page.evaluate(() => window.jupyterapp.shell.currentWidget.content.widgets[2].outputArea.node.scrollIntoView());
      mkdirSync(path.dirname(path.resolve(screenshot)), { recursive: true });
      await page.screenshot({ path: screenshot });
    }
    assert.deepEqual(errors, [], `error output in ${name}`);
    assert.equal(ran, true, 'notebook:run-all-cells did not complete');
    return { text, requests, extra: then && await then(page) };
  } catch (e) {
    console.log(log.slice(-40).join('\n'));
    throw e;
  } finally {
    await context.close();
  }
}

// Run `code` on the notebook's kernel; returns its status and output text.
function execute(page, code) {
  return page.evaluate(async (code) => {
    const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const future = kernel.requestExecute({ code, stop_on_error: true });
    const out = [];
    future.onIOPub = ({ content: c }) => {
      out.push(...[c.text, c.data?.['text/plain'], c.ename && `${c.ename}: ${c.evalue}`].filter(Boolean));
    };
    const reply = await future.done;
    return { status: reply.content.status, out: out.join('') };
  }, code);
}

function assertLocalOnly(requests) {
  const outside = requests.filter((u) => !/^(data|blob):/.test(u) && new URL(u).hostname !== '127.0.0.1');
  assert.deepEqual(outside, [], 'requests outside 127.0.0.1');
  // The listener sees the kernel's worker too: Pyodide itself was fetched.
  assert.ok(requests.some((u) => u.endsWith('/static/pyodide/pyodide.asm.wasm')), 'no request for Pyodide was seen');
}

test('classify.ipynb runs top to bottom in JupyterLite, offline, with the wasm kernels', { skip, timeout: 240_000 }, async () => {
  const { text, requests } = await runNotebook('classify.ipynb', { screenshot: process.env.WASM_INFER_SCREENSHOT });
  const line = text.match(/^chelsea\.png: .*$/m);
  assert.ok(line, `no classification line in the outputs:\n${text}`);
  assert.match(line[0], CAT, 'chelsea.png is not classified as a cat');
  assert.match(text, /backend \*\*(simd128|relaxed)\*\*/, `the wasm kernels were not used:\n${text}`);
  assert.match(text, /^\| `\w+__wasm\w*` \| [1-9]\d* \|$/m, `no kernel calls reported:\n${text}`);
  assertLocalOnly(requests);
});

test('bring_your_own_model.ipynb: the wasm kernels agree with the NumPy backend in JupyterLite', { skip, timeout: 240_000 }, async () => {
  // Then the way a user adds the package: `%pip install wasm-infer`, served by the site itself.
  const reinstall = (page) => execute(page, [
    'import importlib.metadata, micropip',
    'micropip.uninstall("wasm-infer")',
    '%pip install wasm-infer',
    'print("wasm-infer", importlib.metadata.version("wasm-infer"), "installed")'].join('\n'));
  const { text, requests, extra } = await runNotebook('bring_your_own_model.ipynb', { then: reinstall });
  assert.equal(extra.status, 'ok', `%pip install wasm-infer failed: ${extra.out}`);
  assert.match(extra.out, /wasm-infer [\d.]+ installed/);
  assert.match(text, /\| (simd128|relaxed) \| [\d.]+ \|/, `the wasm kernels were not used:\n${text}`);
  assert.match(text, /^kernels and NumPy agree$/m, text);
  assertLocalOnly(requests);
});

test('evaluate.ipynb evaluates a labelled folder in JupyterLite with the wasm kernels', { skip, timeout: 240_000 }, async () => {
  const { text, requests } = await runNotebook('evaluate.ipynb');
  assert.match(text, /<Report 7 photos \(1 skipped\): top-1 /, text);
  assert.match(text, /; backend (simd128|relaxed)/, `the wasm kernels were not used:\n${text}`);
  assert.match(text, /^\| goldfish\/coffee\.png \| goldfish \| espresso \|/m, 'the mislabelled photo is not among the mistakes');
  assert.match(text, /^skipped moped\/corrupt\.jpg: unreadable image/m);
  assert.match(text, /^\d+ photos in common: top-1 /m, 'compare() printed nothing');
  assertLocalOnly(requests);
});
