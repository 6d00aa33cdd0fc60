// The page's Evaluate mode in Chromium: a folder of 23 labelled photos (some
// deliberately mislabelled, one corrupt, one folder named with an ImageNet
// synonym) uploaded through the directory input gives accuracy, the confusion
// matrix, the mislabelled photos among the mistakes, the corrupt one skipped;
// the page matches label names as Python does; a second model compared on
// the same photos lists the changed predictions; the report downloads (JSON,
// HTML) and the regression set re-runs in Python natively; a zip of labelled
// photos is read without any library, refusing what it cannot read.
// Skipped (not failed) without Chromium. WASM_INFER_UPDATE_SCREENSHOT=1
// refreshes docs/screenshot-evaluate.png (the card after the comparison).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { attrTensor, model } from './onnx_min.mjs';
import { findChromium, launchChromium } from '../../tools/chromium.mjs';
import { startServer } from '../../tools/serve.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SITE = process.env.WASM_INFER_SITE || path.join(ROOT, 'build', 'site');
const IMAGES = path.join(ROOT, 'build', 'data', 'images');
const MODEL = path.join(ROOT, 'build', 'models', 'efficientnet_lite0.onnx');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
const ARTIFACTS = path.join(ROOT, 'build', 'test-artifacts');
const PLAN = process.env.WASM_INFER_PLAN;
const BOOT_MS = 180_000;    // as in demo.test.mjs, for a busy 2-core machine
const STEP_MS = 60_000;
const TEST_MS = 150_000;
const ESPRESSO = 967;

const chromiumPath = findChromium();
const skip = chromiumPath ? false : 'no Chromium found — browser tests skipped';
if (skip) console.log(`# SKIP browser tests: ${skip}`);

// folder → photos. Mislabelled: goldfish/coffee.png, espresso/rocket.jpg;
// `tabby` is a WordNet synonym of "tabby cat"; moped/corrupt.jpg is not an
// image. The rightly labelled photos also come in VARIANTS made with Pillow.
const SET = {
  Egyptian_Mau: ['chelsea.png'], tabby: ['chelsea.png'], espresso: ['coffee.png', 'rocket.jpg'],
  missile: ['rocket.jpg'], moped: ['motorcycle_left.png'], goldfish: ['coffee.png'],
};
const VARIANTS = { Egyptian_Mau: 'chelsea.png', espresso: 'coffee.png', missile: 'rocket.jpg', moped: 'motorcycle_left.png' };
const VARIANT_CODE = `import sys
from pathlib import Path
from PIL import Image, ImageOps
src, out = Path(sys.argv[1]), Path(sys.argv[2])
img = Image.open(src).convert("RGB")
w, h = img.size
ImageOps.mirror(img).save(out / f"mirror-{src.stem}.png")
img.crop((w // 10, h // 10, w - w // 10, h - h // 10)).save(out / f"crop-{src.stem}.jpg", quality=90)
ImageOps.grayscale(img).save(out / f"grey-{src.stem}.png")
img.rotate(8, resample=Image.BILINEAR).save(out / f"tilt-{src.stem}.webp")
print("{}")`;
const PHOTOS = Object.values(SET).flat().length + 4 * Object.keys(VARIANTS).length;

/** The second model: the same input and 1,000 outputs, a "head" that always says espresso (about 96%). */
function alwaysEspresso() {
  const f32 = (values) => new Uint8Array(Float32Array.from(values).buffer);
  const bias = new Array(1000).fill(0); bias[ESPRESSO] = 10;
  return model({
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['image'], outputs: ['pooled'], name: 'pool' },
      { op: 'Flatten', inputs: ['pooled'], outputs: ['flat'], name: 'flatten' },
      { op: 'Constant', inputs: [], outputs: ['w'], name: 'w', attrs: [attrTensor('value', [3, 1000], 1, f32(new Array(3000).fill(0)))] },
      { op: 'Constant', inputs: [], outputs: ['b'], name: 'b', attrs: [attrTensor('value', [1000], 1, f32(bias))] },
      { op: 'MatMul', inputs: ['flat', 'w'], outputs: ['logits'], name: 'head' },
      { op: 'Add', inputs: ['logits', 'b'], outputs: ['scores'], name: 'bias' },
    ],
    inputs: [['image', ['N', 3, 224, 224]]],
    outputs: [['scores', ['N', 1000]]],
  });
}

/** A zip archive: entries { path, data, method (0 stored, 8 deflated), flags, size (declared, default the real one) }. */
function makeZip(entries, { count } = {}) {
  const u16 = (n) => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; };
  const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
  const locals = []; const centrals = []; let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.path);
    const data = e.method === 8 ? zlib.deflateRawSync(e.data) : e.data;
    const common = [u16(20), u16(e.flags ?? 0), u16(e.method ?? 0), u16(0), u16(0x21), u32(zlib.crc32(e.data)), u32(data.length), u32(e.size ?? e.data.length), u16(name.length), u16(0)];
    const local = Buffer.concat([u32(0x04034b50), ...common, name, data]);
    centrals.push(Buffer.concat([u32(0x02014b50), u16(20), ...common, u16(0), u16(0), u16(0), u32(0), u32(offset), name]));
    locals.push(local); offset += local.length;
  }
  const cd = Buffer.concat(centrals);
  const n = count ?? entries.length;
  return Buffer.concat([...locals, cd, u32(0x06054b50), u16(0), u16(0), u16(n), u16(n), u32(cd.length), u32(offset), u16(0)]);
}

/** Python's answer, natively: runs `code` with .venv's Python and returns the JSON it prints. */
function python(code, args = []) {
  const r = spawnSync(PYTHON, ['-c', code, ...args], { cwd: ROOT, encoding: 'utf-8', timeout: STEP_MS });
  assert.equal(r.status, 0, `python failed: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

describe('the Evaluate mode of the demo page in Chromium', { skip }, () => {
  let server; let browser; let page; let tmp; let dir;
  const errors = [];
  let report = null;      // what the first test evaluated, for the ones after it

  const waitFor = (attr, value, timeout = 2 * STEP_MS) => page.waitForFunction(([a, v]) => document.querySelector('#eval-card').dataset[a] === v, [attr, String(value)], { timeout });
  const runs = () => page.$eval('#eval-card', (c) => Number(c.dataset.runs ?? 0));

  before(async () => {
    assert.ok(existsSync(path.join(SITE, 'eval_report.js')), 'build/site is missing or old: run `python3 build.py test` (it builds the site)');
    tmp = mkdtempSync(path.join(os.tmpdir(), 'wasm-infer-eval-'));
    dir = path.join(tmp, 'labelled');
    for (const [cls, photos] of Object.entries(SET)) {
      mkdirSync(path.join(dir, cls), { recursive: true });
      for (const p of photos) copyFileSync(path.join(IMAGES, p), path.join(dir, cls, p));
    }
    for (const [cls, p] of Object.entries(VARIANTS)) python(VARIANT_CODE, [path.join(IMAGES, p), path.join(dir, cls)]);
    writeFileSync(path.join(dir, 'moped', 'corrupt.jpg'), 'not a JPEG at all');
    assert.ok(PHOTOS >= 20, 'the issue asks for a folder of at least 20 labelled photos');
    server = await startServer(SITE);
    browser = await launchChromium(chromiumPath);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    context.setDefaultTimeout(STEP_MS);
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(PLAN ? `${server.url}?plan=${encodeURIComponent(PLAN)}` : server.url);
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: BOOT_MS });
    assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true', 'the page did not start');
  }, { timeout: BOOT_MS + STEP_MS });

  after(async () => {
    try { await browser?.close(); } finally { server?.stop(); if (tmp) rmSync(tmp, { recursive: true, force: true }); }
  }, { timeout: STEP_MS });

  it('a labelled folder gives accuracy, the confusion matrix, the mistakes and a report to download', { timeout: TEST_MS }, async () => {
    await page.setInputFiles('#eval-folder', dir);
    await waitFor('done', 1);
    const shown = await page.evaluate(async () => ({
      accuracy: document.querySelector('#eval-accuracy').textContent,
      top1: Number(document.querySelector('#eval-accuracy').dataset.top1),
      mistakes: [...document.querySelectorAll('#eval-mistakes > li')].map((li) => li.dataset.name),
      matrix: [...document.querySelectorAll('#eval-matrix tr')].map((tr) => [...tr.children].map((c) => c.textContent)),
      skipped: document.querySelector('#eval-skipped').textContent,
      report: await (await fetch(document.querySelector('#eval-download').href)).json(),
    }));
    const r = shown.report;
    report = r;
    assert.equal(r.evaluated, PHOTOS);
    assert.deepEqual(r.skipped.map((s) => s.name), ['labelled/moped/corrupt.jpg']);
    assert.match(shown.skipped, /corrupt\.jpg/);
    const byName = Object.fromEntries(r.records.map((x) => [x.name, x]));
    // the mislabelled photos are among the mistakes, predicted as what they show
    for (const [n, shows] of [['labelled/goldfish/coffee.png', 'espresso'], ['labelled/espresso/rocket.jpg', 'missile']]) {
      assert.ok(shown.mistakes.includes(n), `${n} not among ${shown.mistakes}`);
      assert.equal(byName[n].top[0][2], shows);
    }
    assert.equal(byName['labelled/espresso/coffee.png'].true, ESPRESSO);
    // the synonym folder `tabby` is the class "tabby cat" (281), as in Python
    assert.equal(byName['labelled/tabby/chelsea.png'].true, 281);
    assert.equal(byName['labelled/tabby/chelsea.png'].true_name, 'tabby cat');
    // what the page shows follows from the report's records
    const right = r.records.filter((x) => x.top[0][0] === x.true).length;
    assert.equal(r.top1_accuracy, right / PHOTOS);
    assert.equal(shown.top1, r.top1_accuracy);
    assert.match(shown.accuracy, new RegExp(`top-1 ${(r.top1_accuracy * 100).toFixed(1)}%`));
    assert.deepEqual(new Set(shown.mistakes), new Set(r.records.filter((x) => x.top[0][0] !== x.true).map((x) => x.name)));
    // the matrix: a header row, then a row per class of the (at most 12) most frequent, counting the photos among them
    const shownClasses = new Set(r.confusion.classes.slice(0, 12));
    assert.equal(shown.matrix.length, 1 + shownClasses.size);
    const cells = shown.matrix.slice(1).flatMap((row) => row.slice(1).map((c) => Number(c || 0)));
    assert.equal(cells.reduce((a, b) => a + b, 0), r.records.filter((x) => shownClasses.has(x.true) && shownClasses.has(x.top[0][0])).length);
    assert.ok(shown.matrix[0].includes('goldfish') && shown.matrix[0].includes('espresso'), String(shown.matrix[0]));
    // sorting the matrix by name reorders its rows alphabetically
    await page.click('#eval-matrix button:text-is("name")');
    const rows = await page.$$eval('#eval-matrix tr', (trs) => trs.slice(1).map((tr) => tr.firstChild.textContent));
    assert.deepEqual(rows, [...rows].sort((a, b) => a.localeCompare(b)));
    // a mistake's top-5 opens on click
    await page.click('#eval-mistakes > li[data-name="labelled/goldfish/coffee.png"]');
    assert.ok(await page.$eval('#eval-mistakes > li[data-name="labelled/goldfish/coffee.png"] .eval-top5', (ol) => getComputedStyle(ol).display !== 'none'));
    assert.deepEqual(errors, []);
  });

  it('label names match classes as in Python: synonyms, case, spaces, "_" and "-", class numbers', { timeout: TEST_MS }, async () => {
    const names = ['tabby', 'Tabby_Cat', 'TABBY-CAT', 'crane', 'kite', 'Egyptian Mau', 'espresso', 'hog', 'cock', '967', 'nothing-like-this', 'tabby.cat'];
    const page_ = await page.evaluate(async (labels) => {
      const { Matcher } = await import('./eval_report.js');
      const data = await (await fetch(window.wasmInferDemo.manifest.classes)).json();
      const m = new Matcher(data.classes, data.normalize);
      return labels.map((l) => m.match(l));
    }, names);
    const py = python(`import json, sys
from wasm_infer.evaluation.labels import Matcher, imagenet_labels
m = Matcher(imagenet_labels())
print(json.dumps([m(x) for x in json.loads(sys.argv[1])]))`, [JSON.stringify(names)]);
    assert.deepEqual(page_, py);
    assert.equal(page_[0], 281);
    assert.equal(page_[names.indexOf('nothing-like-this')], null);
  });

  it('a second model on the same photos: the accuracy delta and the predictions fixed and broken', { timeout: TEST_MS }, async () => {
    assert.ok(report, 'the first test did not evaluate the folder');
    await page.setInputFiles('#eval-compare', { name: 'always_espresso.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(alwaysEspresso()) });
    await waitFor('compared', 1);
    const shown = await page.evaluate(async () => ({
      summary: document.querySelector('#eval-compare-result .eval-accuracy').textContent,
      delta: Number(document.querySelector('#eval-compare-result .eval-accuracy').dataset.delta),
      rows: [...document.querySelectorAll('#eval-compare-result tr[data-name]')].map((tr) => [tr.dataset.name, tr.dataset.kind]),
      data: await (await fetch(document.querySelector('#eval-compare-download').href)).json(),
    }));
    const recs = report.records;
    const ok = (x) => x.top[0][0] === x.true;
    // expected from the first model's records and what the second one always answers
    const changed = recs.filter((x) => x.top[0][0] !== ESPRESSO);
    const fixed = changed.filter((x) => !ok(x) && x.true === ESPRESSO).map((x) => x.name);
    const broken = changed.filter((x) => ok(x)).map((x) => x.name);
    assert.ok(fixed.includes('labelled/espresso/rocket.jpg') && broken.length > 0, `fixed ${fixed}, broken ${broken}`);
    assert.deepEqual(new Set(shown.rows.map(([n]) => n)), new Set(changed.map((x) => x.name)));
    assert.deepEqual(shown.rows.filter(([, k]) => k === 'fixed').map(([n]) => n).sort(), fixed.sort());
    assert.deepEqual(shown.rows.filter(([, k]) => k === 'broken').map(([n]) => n).sort(), broken.sort());
    const accA = recs.filter(ok).length / recs.length;
    const accB = recs.filter((x) => x.true === ESPRESSO).length / recs.length;
    assert.ok(Math.abs(shown.delta - (accB - accA)) < 1e-12, `${shown.delta} vs ${accB - accA}`);
    assert.equal(shown.data.common, PHOTOS);
    assert.ok(shown.data.report_b.records.every((x) => x.top[0][0] === ESPRESSO));
    assert.match(shown.summary, /always_espresso\.onnx against efficientnet_lite0\.onnx/);
    // the page's own model is still the one it evaluates with
    assert.match(await page.$eval('#model-name', (e) => e.textContent), /EfficientNet/);
    assert.deepEqual(errors, []);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator('#eval-card').screenshot({ path: path.join(ARTIFACTS, 'evaluate.png') });
    if (process.env.WASM_INFER_UPDATE_SCREENSHOT) copyFileSync(path.join(ARTIFACTS, 'evaluate.png'), path.join(ROOT, 'docs', 'screenshot-evaluate.png'));
  });

  it('the report downloads as HTML, and the regression set re-runs in Python', { timeout: TEST_MS }, async () => {
    assert.ok(report, 'the first test did not evaluate the folder');
    const [html] = await Promise.all([page.waitForEvent('download'), page.click('#eval-download-html')]);
    const htmlPath = path.join(tmp, 'report.html');
    await html.saveAs(htmlPath);
    const text = readFileSync(htmlPath, 'utf-8');
    assert.match(text, /Content-Security-Policy/);
    assert.doesNotMatch(text, /<script/i);
    assert.match(text, new RegExp(`top-1 <b>${(report.top1_accuracy * 100).toFixed(1)}%`));
    assert.ok(text.includes('labelled/goldfish/coffee.png'));

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#eval-regression')]);
    assert.equal(download.suggestedFilename(), 'wasm_infer-regression-set.json');
    const setPath = path.join(tmp, 'hard.json');
    await download.saveAs(setPath);
    const set = JSON.parse(readFileSync(setPath, 'utf-8'));
    const hard = report.records.filter((x) => x.top[0][0] !== x.true || x.top[0][1] < 0.5);
    assert.deepEqual(set.cases.map((c) => c.name).sort(), hard.map((x) => x.name).sort());
    // Python re-runs exactly those photos, with the same labels, from the file the page saved
    const py = python(`import json, sys, wasm_infer
sess = wasm_infer.InferenceSession(sys.argv[1])
rep = wasm_infer.evaluate(sess, sys.argv[2], progress=False)
print(json.dumps({"skipped": rep.skipped, "records": rep.records, "regression_source": rep.regression_source}))`, [MODEL, setPath]);
    assert.deepEqual(py.skipped, []);
    const pyBy = Object.fromEntries(py.records.map((x) => [x.name, x]));
    for (const x of hard) {
      assert.ok(pyBy[x.name], `${x.name} was not re-run in Python`);
      assert.equal(pyBy[x.name].label, x.label);
      assert.equal(pyBy[x.name].true, x.true);
      // the canvas and Pillow resize slightly differently: confident answers agree
      if (x.top[0][1] > 0.6) assert.equal(pyBy[x.name].top[0][0], x.top[0][0], x.name);
    }
    assert.equal(py.regression_source, set.source);
    assert.deepEqual(errors, []);
  });

  it('a zip of labelled photos: stored and deflated entries are read, an encrypted one is listed, not read', { timeout: TEST_MS }, async () => {
    const photo = (p) => readFileSync(path.join(IMAGES, p));
    const zip = makeZip([
      { path: 'set/', data: Buffer.alloc(0) },
      { path: 'set/espresso/coffee.png', data: photo('coffee.png'), method: 0 },
      { path: 'set/tabby/chelsea.png', data: photo('chelsea.png'), method: 8 },
      { path: 'set/missile/rocket.jpg', data: photo('rocket.jpg'), method: 8, flags: 1 },
      { path: 'set/notes.txt', data: Buffer.from('not a photo'), method: 8 },
    ]);
    const before = await page.$eval('#eval-card', (c) => Number(c.dataset.done));
    await page.setInputFiles('#eval-zip', { name: 'labelled.zip', mimeType: 'application/zip', buffer: zip });
    await waitFor('done', before + 1);
    const r = await page.evaluate(async () => (await fetch(document.querySelector('#eval-download').href)).json());
    assert.deepEqual(r.records.map((x) => [x.name, x.true]).sort(), [['set/espresso/coffee.png', ESPRESSO], ['set/tabby/chelsea.png', 281]]);
    assert.equal(r.records.find((x) => x.name === 'set/espresso/coffee.png').top[0][0], ESPRESSO);
    assert.deepEqual(r.skipped.map((s) => s.name), ['set/missile/rocket.jpg']);
    assert.match(r.skipped[0].reason, /encrypted/);
    assert.deepEqual(errors, []);
  });

  it('a ZIP64 zip, and one that would inflate past the bound, are refused with a plain message', { timeout: TEST_MS }, async () => {
    const tiny = Buffer.from('x');
    const cases = [
      [makeZip([{ path: 'a/b.png', data: tiny }], { count: 0xffff }), /ZIP64/],
      // five 250 MiB photos by their directory (the data is one byte): over the 1 GiB a zip may inflate to
      [makeZip([1, 2, 3, 4, 5].map((i) => ({ path: `espresso/${i}.png`, data: tiny, size: 250 << 20 }))), /more than 1\.0 GiB/],
      [Buffer.from('PK but not a zip'), /not a zip archive/],
    ];
    for (const [bytes, message] of cases) {
      const n = await runs();
      await page.setInputFiles('#eval-zip', { name: 'bad.zip', mimeType: 'application/zip', buffer: bytes });
      await page.waitForFunction((k) => Number(document.querySelector('#eval-card').dataset.runs) > k, n, { timeout: STEP_MS });
      assert.match(await page.$eval('#eval-error', (p) => (p.hidden ? '' : p.textContent)), message);
    }
    assert.deepEqual(errors, []);
  });

  it('folder names that match no class are listed, and nothing runs', { timeout: TEST_MS }, async () => {
    const done = await page.$eval('#eval-card', (c) => c.dataset.done);
    const bad = path.join(tmp, 'unknown');
    mkdirSync(path.join(bad, 'kitchen_gadget'), { recursive: true });
    copyFileSync(path.join(IMAGES, 'coffee.png'), path.join(bad, 'kitchen_gadget', 'coffee.png'));
    const n = await runs();
    await page.setInputFiles('#eval-folder', bad);
    await page.waitForFunction((k) => Number(document.querySelector('#eval-card').dataset.runs) > k, n, { timeout: STEP_MS });
    assert.match(await page.$eval('#eval-error', (p) => p.textContent), /match no class.*kitchen_gadget/);
    assert.equal(await page.$eval('#eval-card', (c) => c.dataset.done), done);
  });
});
