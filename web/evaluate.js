// The page's Evaluate mode: run the current model over labelled photos (a
// folder whose subfolders are the classes, a zip of one, or photos named
// after their class) and show accuracy, the confusion matrix of the most
// frequent classes, the mistakes and the low-confidence hits with their
// top-5; compare with a second .onnx on the same photos; download the report
// (JSON as Report.to_dict(), or a self-contained HTML page) and the hard
// cases as a regression set Python's wasm_infer.evaluate() re-runs. Photos
// are decoded one at a time and never leave the page.
import { decodeImage, imagenetTensor, topK } from './vision.js';
import { describeModel } from './demo.js';
import { LOW, Matcher, buildReport, compareReports, regressionSet } from './eval_report.js';
import { readZip } from './zip.js';
import { renderComparison, renderHtmlReport, renderReport } from './eval_view.js';

const $ = (sel) => document.querySelector(sel);
const IMAGE = /\.(png|jpe?g|gif|webp|bmp|avif)$/i;
const DEADLINE_MS = 30_000;     // loading the model to compare with, as the page's "open a model"

// The last evaluation: what "compare" re-runs and the downloads read.
const last = { report: null, sources: null, found: null, thumbs: null, model: null, name: null };
let classData = null;           // the site's data/imagenet_classes.json, fetched once

/** The label of a photo from its path: its parent folder, else its name without extension and trailing number ("espresso-2.jpg"). */
export function labelOf(path) {
  const parts = path.split('/');
  if (parts.length >= 2) return parts[parts.length - 2];
  return parts[0].replace(/\.[^.]*$/, '').replace(/[\s_\-]*\d+$/, '') || null;
}

/** The model's classes as [name, synonyms...] lists with the matching pattern (ImageNet's from the site, else numbers). */
async function classesFor(model) {
  const demo = window.wasmInferDemo;
  if (model.classes === 1000) {
    if (!classData && demo.manifest?.classes) {
      classData = await fetch(demo.manifest.classes).then((r) => (r.ok ? r.json() : null)).catch(() => null);
    }
    if (classData?.classes?.length === 1000) return { classes: classData.classes, pattern: classData.normalize };
    if (demo.labels?.length === 1000) return { classes: demo.labels.map((n) => [n]) };   // names without synonyms
  }
  return { classes: Array.from({ length: model.classes }, (_, i) => [String(i)]) };
}

/** [{ path, label, open(): Promise<Blob>, problem? }] from picked files; a .zip among them is opened. */
async function sourcesOf(files) {
  const out = [];
  for (const f of files) {
    if (/\.zip$/i.test(f.name)) {
      const entries = await readZip(f, { wanted: (p) => IMAGE.test(p) && !/(^|\/)(\.|__MACOSX\/)/.test(p) });
      for (const e of entries) out.push({ path: e.path, label: labelOf(e.path), open: e.blob, problem: e.problem });
    } else if (IMAGE.test(f.name) || f.type.startsWith('image/')) {
      const path = f.webkitRelativePath || f.name;
      out.push({ path, label: labelOf(path), open: async () => f });
    }
  }
  const seen = new Map();        // the same name twice (two zips): both are evaluated, under distinct names
  for (const s of out) {
    const n = (seen.get(s.path) ?? 0) + 1;
    seen.set(s.path, n);
    s.name = n > 1 ? `${s.path}#${n}` : s.path;
  }
  return out;
}

/** Classify every source with `model`: → { records, skipped }; thumbnails of the hard cases go to `thumbs`. */
async function classifyAll(model, sources, found, thumbs, status) {
  const records = []; const skipped = [];
  const bar = $('#eval-progress');
  bar.max = sources.length; bar.value = 0; bar.hidden = false;
  const resize = Math.round((model.size * 256) / 224);
  for (const [i, src] of sources.entries()) {
    try {
      if (src.problem) throw Object.assign(new Error(src.problem), { name: 'ZipEntryError' });
      const blob = await src.open();
      const bitmap = await decodeImage(blob, src.path.split('/').pop());
      const { data, dims, canvas } = imagenetTensor(bitmap, { resize, crop: model.size });
      bitmap.close();
      const { outputs, timings } = await model.session.run({ [model.inputName]: { data, dims } });
      const scores = outputs[model.outputName].data;
      if (scores.length !== model.classes) throw new Error(`the model returned ${scores.length} scores, not ${model.classes}`);
      const top = topK(scores, 5).map(({ index, prob }) => [index, prob]);
      const truth = found.get(src.label);
      records.push({ name: src.name, label: src.label, true: truth, top, latency_ms: timings.run_ms });
      if (thumbs && !thumbs.has(src.name) && (top[0][0] !== truth || top[0][1] < LOW)) thumbs.set(src.name, canvas.toDataURL('image/jpeg', 0.7));
    } catch (err) {
      skipped.push({ name: src.name, label: src.label, reason: `${err.name}: ${err.message}` });
    }
    bar.value = i + 1;
    status(`${i + 1} / ${sources.length}`);
  }
  return { records, skipped };
}

function showError(message) {
  $('#eval-error').textContent = message;
  $('#eval-error').hidden = !message;
}

// One evaluation (or comparison) at a time; the card says so while it runs.
let busy = false;
async function guarded(fn) {
  if (busy) { showError('An evaluation is still running; wait for it to finish.'); return; }
  busy = true;
  document.body.dataset.evaluating = 'true';
  for (const e of document.querySelectorAll('#eval-card input')) e.disabled = true;
  try {
    showError('');
    await fn();
  } catch (err) {
    console.error(err);
    showError(`${err.name}: ${err.message}`);
  } finally {
    busy = false;
    delete document.body.dataset.evaluating;
    for (const e of document.querySelectorAll('#eval-card input')) e.disabled = false;
    $('#eval-card').dataset.runs = String(Number($('#eval-card').dataset.runs ?? 0) + 1);
  }
}

async function evaluateFiles(files) {
  const model = window.wasmInferDemo.model;
  if (!model) throw new Error('the model is not loaded yet; wait for the page to start');
  if (!model.classes) throw new Error('the model\'s output does not say how many classes it has, so its answers cannot be scored');
  const sources = await sourcesOf(files);
  if (!sources.length) { showError('No photos among the picked files (PNG, JPEG, GIF, WebP, BMP, or a zip of them).'); return; }
  const { classes, pattern } = await classesFor(model);
  const { found, missing } = new Matcher(classes, pattern).resolve(sources.map((s) => s.label));
  if (missing.length) {
    showError(`${missing.length} folder name(s) match no class of the model: ${missing.slice(0, 12).join('; ')}. `
      + 'Rename the folders to a class name or synonym (case, spaces and “_” do not matter).');
    return;
  }
  const name = (c) => classes[c]?.[0] ?? `class ${c}`;
  const thumbs = new Map();
  const { records, skipped } = await classifyAll(model, sources, found, thumbs, (s) => { $('#eval-status').textContent = s; });
  const report = buildReport({ records, skipped, name, model: model.session.name, source: `web page: ${sources.length} photos` });
  Object.assign(last, { report, sources: new Map(sources.map((s) => [s.name, s])), found, thumbs, model, name });
  renderReport(report, thumbs);
  setDownload('#eval-download', report, 'wasm_infer-evaluation.json');
  $('#eval-compare-row').hidden = false;
  $('#eval-compare-download').hidden = true;     // a comparison belongs to the evaluation before
  $('#eval-compare-result').replaceChildren();
  $('#eval-card').dataset.done = String(Number($('#eval-card').dataset.done ?? 0) + 1);
}

async function compareWith(file) {
  if (!last.report) throw new Error('evaluate a folder first; the second model runs on the same photos');
  const demo = window.wasmInferDemo;
  $('#eval-status').textContent = `loading ${file.name}…`;
  const session = await demo.rt.load(file, { timeout: DEADLINE_MS });
  try {
    const other = describeModel(session, file.name);
    if (other.classes !== last.model.classes) {
      throw new Error(`“${file.name}” has ${other.classes ?? 'an unknown number of'} classes and “${last.model.session.name}” ${last.model.classes}: the two cannot be compared photo by photo`);
    }
    const sources = [...last.sources.values()];
    const { records, skipped } = await classifyAll(other, sources, last.found, last.thumbs, (s) => { $('#eval-status').textContent = `${file.name}: ${s}`; });
    const b = buildReport({ records, skipped, name: last.name, model: file.name, source: last.report.source });
    const comparison = { a: last.report.model, b: file.name, ...compareReports(last.report, b) };
    renderComparison(comparison, last.thumbs);
    setDownload('#eval-compare-download', { ...comparison, report_b: b }, 'wasm_infer-comparison.json');
    $('#eval-card').dataset.compared = String(Number($('#eval-card').dataset.compared ?? 0) + 1);
  } finally {
    await session.release();
  }
}

function setDownload(sel, data, filename) {
  const a = $(sel);
  if (a.href.startsWith('blob:')) URL.revokeObjectURL(a.href);
  Object.assign(a, { href: URL.createObjectURL(new Blob([JSON.stringify(data, null, 1)], { type: 'application/json' })), download: filename, hidden: false });
}

function save(blob, filename) {
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}

async function saveRegressionSet() {
  if (!last.report) return;
  const set = await regressionSet(last.report, (n) => last.sources.get(n).open());
  save(new Blob([JSON.stringify(set, null, 1)], { type: 'application/json' }), 'wasm_infer-regression-set.json');
  $('#eval-status').textContent = `regression set: ${set.cases.length} hard case(s)`;
}

function wire() {
  const picked = (fn) => (e) => {
    const files = [...e.target.files];
    e.target.value = '';           // the same folder can be picked again
    if (files.length) guarded(() => fn(files));
  };
  $('#eval-folder').addEventListener('change', picked(evaluateFiles));
  $('#eval-files').addEventListener('change', picked(evaluateFiles));
  $('#eval-zip').addEventListener('change', picked(evaluateFiles));
  $('#eval-compare').addEventListener('change', picked(([f]) => compareWith(f)));
  $('#eval-regression').addEventListener('click', () => guarded(saveRegressionSet));
  $('#eval-download-html').addEventListener('click', () => {
    if (last.report) save(new Blob([renderHtmlReport(last.report, last.thumbs)], { type: 'text/html' }), 'wasm_infer-evaluation.html');
  });
}

wire();
