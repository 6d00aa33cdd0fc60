// The demo page's fixes (issue 16), in Chromium as a visitor meets them: a
// model whose output is an image is refused as a classifier; class ids are
// shown once; a low top-1 is marked uncertain; sizes in MiB; the per-op chart
// names ONNX ops; a narrow screen scrolls to the result; ?backend=numpy does
// not claim SIMD kernels; a photo dropped while the runtime starts waits
// for it. Skipped (not failed) without Chromium.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { model, tinyClassifier } from './onnx_min.mjs';
import { findChromium, launchChromium } from '../../tools/chromium.mjs';
import { startServer } from '../../tools/serve.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SITE = process.env.WASM_INFER_SITE || path.join(ROOT, 'build', 'site');
const IMAGES = path.join(ROOT, 'build', 'data', 'images');
const PLAN = process.env.WASM_INFER_PLAN;
// Time limits for a busy 2-core machine, as in demo.test.mjs.
const BOOT_MS = 180_000;
const STEP_MS = 60_000;
const TEST_MS = 150_000;

const chromiumPath = findChromium();
const skip = chromiumPath ? false : 'no Chromium found — browser tests skipped';
if (skip) console.log(`# SKIP browser tests: ${skip}`);

// Concat's axis = 1, as an AttributeProto (name, i, type INT) inside NodeProto field 5.
const AXIS_1 = [0x2a, 11, 0x0a, 4, ...Buffer.from('axis'), 0x18, 1, 0xa0, 1, 2];

/** 21 "classes": the 3 channel means, 7 times over, so the best has under 1/7 of the probability. */
function flatClassifier() {
  return model({
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['image'], outputs: ['pooled'], name: 'pool' },
      { op: 'Flatten', inputs: ['pooled'], outputs: ['flat'], name: 'flatten' },
      { op: 'Concat', inputs: Array(7).fill('flat'), outputs: ['scores'], name: 'repeat', attrs: [AXIS_1] },
    ],
    inputs: [['image', ['N', 3, 32, 32]]],
    outputs: [['scores', ['N', 21]]],
  });
}

/** A model whose output is an image, not class scores. */
function imageToImage() {
  return model({
    nodes: [{ op: 'Identity', inputs: ['image'], outputs: ['same'], name: 'copy' }],
    inputs: [['image', [1, 3, 224, 224]]],
    outputs: [['same', [1, 3, 224, 224]]],
  });
}

async function openPage(browser, server, query = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(STEP_MS);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const params = new URLSearchParams({ ...(PLAN ? { plan: PLAN } : {}), ...query });
  await page.goto(`${server.url}?${params}`);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: BOOT_MS });
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true', 'the page did not start');
  return { page, context, errors };
}

async function openModel(page, name, bytes) {
  await page.setInputFiles('#model-input', { name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
  await page.waitForFunction((n) => document.body.dataset.state === 'ready'
    && (document.querySelector('#model-name').textContent.includes(n) || !document.querySelector('#error').hidden), name, { timeout: STEP_MS });
}

async function classify(page, file) {
  const runs = await page.$eval('#top5', (ol) => Number(ol.dataset.runs ?? 0));
  await page.setInputFiles('#image-input', file);
  await page.waitForFunction(([n, r]) => {
    const ol = document.querySelector('#top5');
    return ol.dataset.source === n && Number(ol.dataset.runs) > r && document.body.dataset.state === 'ready';
  }, [path.basename(file), runs], { timeout: STEP_MS });
  return page.$$eval('#top5 li', (lis) => lis.map((li) => ({ text: li.querySelector('.label').textContent, prob: Number(li.dataset.prob) })));
}

describe('the demo page fixes in Chromium', { skip }, () => {
  let server; let browser; let page; let errors;

  before(async () => {
    assert.ok(existsSync(path.join(SITE, 'index.html')), 'build/site is missing: run `python3 build.py test` (it builds the site)');
    server = await startServer(SITE);
    browser = await launchChromium(chromiumPath);
    ({ page, errors } = await openPage(browser, server));
  }, { timeout: BOOT_MS + STEP_MS });

  after(async () => {
    try { await browser?.close(); } finally { server?.stop(); }
  }, { timeout: STEP_MS });

  it('sizes are in binary units with binary names (MiB), and the SIMD tagline matches the kernels', { timeout: TEST_MS }, async () => {
    const file = await page.$eval('#model-info', (dl) => dl.textContent);
    assert.match(file, /efficientnet_lite0\.onnx \(\d+\.\d MiB\)/);
    const text = await page.evaluate(() => document.body.innerText);
    assert.doesNotMatch(text, /\d (MB|kB)\b/);
    assert.match(await page.$eval('.tagline', (p) => p.textContent), /SIMD kernels/);
  });

  it('a model whose output is an image is refused as a classifier, with a plain message', { timeout: TEST_MS }, async () => {
    await openModel(page, 'image2image.onnx', imageToImage());
    const box = await page.$eval('#error', (el) => ({ hidden: el.hidden, kind: el.dataset.kind, text: el.textContent }));
    assert.equal(box.hidden, false);
    assert.equal(box.kind, 'interface');
    assert.match(box.text, /image2image\.onnx.*not an image classifier/s);
    assert.match(box.text, /\[1, 3, 224, 224\].*not a vector of class scores/s);
    assert.match(await page.$eval('#model-name', (s) => s.textContent), /EfficientNet/, 'the demo model stays loaded');
    await page.click('#error .error-close');
  });

  it('class numbers are shown once, and a low top-1 is marked uncertain', { timeout: TEST_MS }, async () => {
    await openModel(page, 'flat.onnx', flatClassifier());
    const top = await classify(page, path.join(IMAGES, 'coffee.png'));
    assert.equal(top.length, 5);
    for (const { text } of top) assert.match(text, /^class \d+$/, `label "${text}"`);
    assert.ok(top[0].prob < 0.2, `top-1 ${top[0].prob}`);
    const hint = await page.$eval('#confidence-hint', (p) => ({ hidden: p.hidden, text: p.textContent }));
    assert.equal(hint.hidden, false);
    assert.match(hint.text, /Low confidence/);
    assert.ok(await page.$eval('#top5', (ol) => ol.classList.contains('uncertain')));
    await page.click('#reset-model');
    await page.waitForFunction(() => /EfficientNet/.test(document.querySelector('#model-name').textContent) && document.body.dataset.state === 'ready');
    const cat = await classify(page, path.join(IMAGES, 'coffee.png'));
    assert.match(cat[0].text, /^espresso#967$/);
    assert.ok(cat[0].prob > 0.5);
    assert.equal(await page.$eval('#confidence-hint', (p) => p.hidden), true, 'a confident answer has no hint');
  });

  it('the per-op chart names the ONNX ops of the model, not wasm_infer\'s internal ones', { timeout: TEST_MS }, async () => {
    await page.click('#bench');
    await page.waitForFunction(() => document.querySelector('#op-chart').dataset.drawn === 'ops', null, { timeout: 2 * STEP_MS });
    const ops = await page.$eval('#op-chart', (c) => c.dataset.ops.split(','));
    assert.ok(ops.some((o) => o.startsWith('Conv')), `op types: ${ops}`);
    for (const o of ops) assert.doesNotMatch(o, /^(Nhwc|Fused)/, `internal op name in the chart: ${ops}`);
  });

  it('on a phone-width screen the result scrolls into view after a photo', { timeout: TEST_MS }, async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await classify(page, path.join(IMAGES, 'rocket.jpg'));
    await page.waitForFunction(() => {
      const r = document.querySelector('#result-card').getBoundingClientRect();
      return r.top >= -1 && r.top < window.innerHeight / 2;
    }, null, { timeout: STEP_MS });
    assert.ok(await page.evaluate(() => window.scrollY > 0));
    await page.setViewportSize({ width: 1280, height: 900 });
    assert.deepEqual(errors, []);
  });

  it('a photo dropped while the runtime is still starting is queued, then classified once it is ready', { timeout: BOOT_MS + TEST_MS }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const early = await context.newPage();
      const pageErrors = [];
      early.on('pageerror', (e) => pageErrors.push(e.message));
      await early.goto(PLAN ? `${server.url}?plan=${encodeURIComponent(PLAN)}` : server.url);
      await early.waitForFunction(() => window.wasmInferDemo, null, { timeout: STEP_MS });
      const png = readFileSync(path.join(IMAGES, 'coffee.png')).toString('base64');
      const dropped = await early.evaluate((b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], 'coffee.png', { type: 'image/png' }));
        const ready = document.body.dataset.ready ?? null;
        document.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        return { ready, queued: document.querySelector('#top5').dataset.queued ?? null };
      }, png);
      assert.deepEqual(dropped, { ready: null, queued: 'coffee.png' }, 'the photo was not dropped while the page was starting');
      await early.waitForFunction(() => document.querySelector('#top5').dataset.source === 'coffee.png', null, { timeout: BOOT_MS });
      assert.equal(await early.evaluate(() => document.body.dataset.ready), 'true');
      assert.match(await early.$eval('#top5 li .label', (s) => s.textContent), /^espresso#967$/);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  it('with ?backend=numpy the tagline and badge say NumPy, not SIMD kernels', { timeout: BOOT_MS + TEST_MS }, async () => {
    const numpy = await openPage(browser, server, { backend: 'numpy' });
    try {
      const tagline = await numpy.page.$eval('.tagline', (p) => p.textContent);
      assert.doesNotMatch(tagline, /calling WebAssembly SIMD kernels/);
      assert.match(tagline, /NumPy/);
      assert.equal(await numpy.page.$eval('#kernel-badge', (b) => b.dataset.kind), 'numpy');
    } finally {
      await numpy.context.close();
    }
  });
});
