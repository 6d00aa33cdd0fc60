// The demo page: classify a photo with EfficientNet-Lite0 (or your own
// .onnx) through the wasm_infer shim, and show what it cost.
import { WasmInfer } from './wasm_infer.js';
import { decodeImage, imagenetTensor, ImageDecodeError, topK } from './vision.js';
import { clearChart, drawHistogram, drawOpChart } from './charts.js';
import { withOnnxOpNames } from './op_names.js';

const $ = (sel) => document.querySelector(sel);
const params = new URLSearchParams(location.search);
const PHASE_ROWS = { 'Pyodide runtime': 'pyodide', numpy: 'numpy', 'wasm_infer wheel': 'wheel', 'Python setup': 'python' };
// A model you open gets this long to load (warm-up included) and for each
// photo; past it the shim restarts its worker and reloads the page's model,
// so a model that never finishes cannot freeze the page. Run 50× gets 10×.
const DEADLINE_MS = 30_000;

const state = {
  rt: null,
  manifest: null,
  labels: null,
  defaultModel: null,     // { session, ... } of the bundled model, kept while a custom one is tried
  model: null,            // the current { session, inputName, outputName, size, classes, label }
  lastFeeds: null,        // { name: { data, dims } } of the last classified photo
  charts: null,           // { stats, profile } of the last Run 50×, redrawn on resize
  queue: Promise.resolve(),
  env: {},                // what WasmInfer.init got as Python's environment (?backend=numpy, ?plan=strict)
};
window.wasmInferDemo = state;   // for the console (and the browser tests): state.rt is the shim's runtime

// ---- small helpers ---------------------------------------------------------------------

function fmtMs(ms) {
  if (ms == null || Number.isNaN(ms)) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

function fmtBytes(n) {
  if (!n) return '';
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}

function setTiming(key, ms, note = '') {
  const row = document.querySelector(`#timings tr[data-timing="${key}"]`);
  if (!row) return;
  row.querySelector('.ms').textContent = fmtMs(ms);
  row.querySelector('.bytes').textContent = note;
  row.dataset.ms = ms == null ? '' : String(ms);
}

function setBusy(busy) {
  document.body.dataset.state = busy ? 'busy' : (state.model ? 'ready' : 'starting');
  const disabled = busy || !state.model;
  for (const el of document.querySelectorAll('#image-input, #model-input, .sample, #reset-model')) el.disabled = disabled;
  $('#bench').disabled = disabled || !state.lastFeeds;
}

// One action at a time (photo, model, benchmark); the page stays usable after any error.
function exclusive(fn) {
  return (...args) => {
    state.queue = state.queue.then(async () => {
      setBusy(true);
      try {
        await fn(...args);
      } catch (err) {
        showError(err);
      } finally {
        setBusy(false);
      }
    });
    return state.queue;
  };
}

// ---- errors ----------------------------------------------------------------------------

const sentence = (text) => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

function explain(err) {
  const context = err.context ?? {};
  const still = context.model ? ' The previous model is still loaded.' : '';
  if (err instanceof ImageDecodeError) {
    return ['image', err.message, 'Pick a PNG, JPEG, GIF, WebP or BMP photo. Nothing was uploaded; the page is ready for the next one.'];
  }
  switch (err.name) {
    case 'ModelError':
      return context.model
        ? ['model', `“${context.model}” is not a valid ONNX model`, `wasm_infer could not read it: ${sentence(err.message)} Is it a complete .onnx file — not truncated, not another format?${still}`]
        : ['run', 'The model failed while running', sentence(err.message)];
    case 'UnsupportedError':
      return ['unsupported', `${context.model ? `“${context.model}”` : 'This model'} uses something wasm_infer does not support yet`, `${sentence(err.message)}${still}`];
    case 'InterfaceError':
      return ['interface', `${context.model ? `“${context.model}”` : 'This model'} is not an image classifier this page can drive`, `${sentence(err.message)}${still}`];
    case 'InputError':
      return ['input', 'The model does not accept this input', sentence(err.message)];
    case 'ResourceError':
      return ['memory', 'Not enough memory for this model', `${sentence(err.message)}${still}`];
    case 'NetworkError':
      return ['network', 'A download failed', `${sentence(err.message)}${still}`];
    case 'MemoryError':
      return ['memory', 'Not enough memory for this model', `${sentence(err.message)}${still}`];
    case 'DeadlineError':     // the shim stopped the worker and reloads the page's model in a fresh one
      return ['deadline', context.model ? `“${context.model}” did not finish loading within ${DEADLINE_MS / 1000} s` : 'The model did not finish in time',
        `${sentence(err.message)} It may never finish (a loop without end) or be far too slow for this page. wasm_infer started a fresh worker and loads the page's model there again; your next photo waits for it.`];
    case 'SessionLost':
      return ['lost', 'The model had to be reloaded, and that failed', `${sentence(err.message)} Reload the page to start again.`];
    case 'WorkerError':
      return ['worker', 'The model\'s worker stopped', `${sentence(err.message)}`];
    default:
      return ['other', 'Something went wrong', `${err.name}: ${sentence(err.message)}${still}`];
  }
}

function showError(err) {
  console.error(err);
  const [kind, title, detail] = explain(err);
  const box = $('#error');
  box.dataset.kind = kind;
  box.querySelector('.error-title').textContent = title;
  box.querySelector('.error-detail').textContent = detail;
  box.hidden = false;
  box.scrollIntoView({ block: 'nearest' });
}

function clearError() { $('#error').hidden = true; }

// ---- progress ---------------------------------------------------------------------------

function onProgress(event) {
  const panel = $('#progress-panel');
  panel.hidden = false;
  let li = [...document.querySelectorAll('#phases li')].find((el) => el.dataset.phase === event.phase);
  if (!li) {
    li = document.createElement('li');
    li.dataset.phase = event.phase;
    li.innerHTML = '<span class="name"></span><progress max="1" value="0"></progress><span class="info"></span>';
    li.querySelector('.name').textContent = event.phase;
    $('#phases').append(li);
  }
  const bar = li.querySelector('progress');
  const info = li.querySelector('.info');
  li.classList.toggle('done', Boolean(event.done));
  if (event.done) {
    bar.max = 1; bar.value = 1;
    info.textContent = [fmtMs(event.ms), fmtBytes(event.loaded)].filter(Boolean).join(' · ');
  } else if (event.total) {
    bar.max = event.total; bar.value = event.loaded;
    info.textContent = `${fmtBytes(event.loaded) || '0 B'} / ${fmtBytes(event.total)}`;
  } else {
    bar.removeAttribute('value');          // indeterminate
    info.textContent = event.loaded ? fmtBytes(event.loaded) : (event.file ?? '');
  }
}

// ---- the kernel badge --------------------------------------------------------------------

function showBadge(backend) {
  const badge = $('#kernel-badge');
  const f = state.rt.features;
  const info = state.rt.info;
  const browser = `browser: SIMD128 ${f.simd128 ? 'yes' : 'no'}, relaxed SIMD ${f.relaxedSimd ? 'yes' : 'no'}`;
  if (backend === 'numpy') {
    badge.dataset.kind = 'numpy';
    badge.textContent = 'NumPy fallback';
    badge.title = `The wasm kernels are not in use: ${info.kernels_reason}. ${browser}.`;
  } else {
    const relaxed = /relaxed/.test(backend);
    badge.dataset.kind = relaxed ? 'relaxed' : 'simd128';
    badge.textContent = relaxed ? 'relaxed SIMD kernels' : 'SIMD128 kernels';
    badge.title = `wasm_infer kernels: ${backend} (${info.kernels_reason}). ${browser}.`;
  }
  badge.dataset.backend = backend;
  $('.tagline').textContent = backend === 'numpy'
    ? 'ONNX image classification computed on your own machine: Python in Pyodide with NumPy (the WebAssembly SIMD kernels are not in use). Nothing is uploaded.'
    : 'ONNX image classification computed on your own machine: Python in Pyodide calling WebAssembly SIMD kernels. Nothing is uploaded.';
}

// ---- models ----------------------------------------------------------------------------

class InterfaceError extends Error {
  constructor(message) { super(message); this.name = 'InterfaceError'; }
}

// What the page needs from a classifier: one float32 [N, 3, H, W] input and a class-score output.
// (web/evaluate.js uses it too, for the model it compares with.)
export function describeModel(session, label) {
  const input = session.inputs[0];
  const output = session.outputs[0];
  const dims = input?.dims;
  if (session.inputs.length !== 1) throw new InterfaceError(`It has ${session.inputs.length} inputs; the page feeds one image tensor.`);
  if (input.type !== 'float32') throw new InterfaceError(`Its input “${input.name}” is ${input.type}; the page feeds float32 pixels.`);
  if (!Array.isArray(dims) || dims.length !== 4) throw new InterfaceError(`Its input “${input.name}” has shape ${JSON.stringify(dims)}; the page feeds NCHW images [N, 3, H, W].`);
  const fixed = (d) => (typeof d === 'number' && d > 0 ? d : null);
  if (fixed(dims[1]) !== null && dims[1] !== 3) throw new InterfaceError(`Its input has ${dims[1]} channels; the page feeds RGB images (3 channels, NCHW).`);
  if (fixed(dims[0]) !== null && dims[0] !== 1) throw new InterfaceError(`Its input has a fixed batch of ${dims[0]}; the page feeds one image.`);
  const h = fixed(dims[2]) ?? fixed(dims[3]) ?? 224;
  const w = fixed(dims[3]) ?? h;
  if (h !== w) throw new InterfaceError(`Its input is ${h}×${w}; the page feeds square crops.`);
  const odims = output?.dims;
  if (Array.isArray(odims) && (odims.length < 1 || odims.length > 2 || (odims.length === 2 && fixed(odims[0]) !== null && odims[0] !== 1))) {
    throw new InterfaceError(`Its output “${output.name}” has shape ${shape(odims)}: not a vector of class scores ([N, classes] or [classes]), so the page cannot show it as classes.`);
  }
  const classes = odims?.length ? odims[odims.length - 1] : null;
  return { session, label, inputName: input.name, outputName: output.name, size: h, classes };
}

function shape(dims) {
  return dims ? `[${dims.map((d) => d ?? '?').join(', ')}]` : '(unknown shape)';
}

function showModel(model) {
  const s = model.session;
  $('#model-name').textContent = model.label;
  const rows = [
    ['file', `${s.name} (${fmtBytes(s.bytes)})`],
    ['input', `${s.inputs[0].name}: ${s.inputs[0].type} ${shape(s.inputs[0].dims)}`],
    ['output', `${s.outputs[0].name}: ${s.outputs[0].type} ${shape(s.outputs[0].dims)}`],
    ['labels', model.classes === 1000 ? 'ImageNet (1,000 classes)' : 'class numbers'],
    ['backend', s.backend],
  ];
  if (s.warmupError) rows.push(['warm-up', s.warmupError]);
  const dl = $('#model-info');
  dl.replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.textContent = v;
    return [dt, dd];
  }));
  $('#reset-model').hidden = model === state.defaultModel;
  if (model !== state.defaultModel) $('#model-details').open = true;   // show what was loaded, and the way back
  const t = s.timings;
  setTiming('model-download', t.download_ms, fmtBytes(s.bytes));
  setTiming('model-load', t.load_ms, `${s.name}`);
  setTiming('warmup', t.warmup_ms, s.warmupError ? 'skipped' : (t.warmup_runs_ms ? `${t.warmup_runs_ms.length} runs: ${t.warmup_runs_ms.map((ms) => ms.toFixed(0)).join(' + ')} ms` : 'on zeros'));
  for (const key of ['first-inference', 'last-inference', 'p50', 'p90', 'p99']) setTiming(key, null);
  showBadge(s.backend);
}

async function useModel(source, label, { timeout = null } = {}) {
  const name = typeof source === 'string' ? source.split('/').pop() : source.name;
  let session;
  try {
    session = await state.rt.load(source, { onProgress, timeout });   // timeout: also the session's runs'
  } catch (err) {
    err.context = { model: name };
    throw err;
  } finally {
    if (document.body.dataset.ready === 'true') $('#progress-panel').hidden = true;
  }
  let model;
  try {
    model = describeModel(session, label);
  } catch (err) {
    await session.release();
    err.context = { model: name };
    throw err;
  }
  if (state.model && state.model !== state.defaultModel) await state.model.session.release();
  state.model = model;
  state.defaultModel ??= model;
  state.lastFeeds = null;
  $('#bench-status').textContent = 'classify a photo first';
  showModel(model);
  resetResult();
  clearCharts();
}

function clearCharts() {
  state.charts = null;
  clearChart($('#histogram'));
  clearChart($('#op-chart'));
}

function resetResult() {
  $('#top5').replaceChildren(Object.assign(document.createElement('li'), { className: 'placeholder', textContent: 'Pick a photo to see what the model thinks it is.' }));
  delete $('#top5').dataset.source;
  $('#top5').classList.remove('uncertain');
  $('#confidence-hint').hidden = true;
}

// ---- classification -------------------------------------------------------------------

async function classify(blob, name) {
  clearError();
  const model = state.model;
  if (!model) throw Object.assign(new Error('the model is not loaded (see the message above); reload the page to try again'), { name: 'NotReady' });
  const bitmap = await decodeImage(blob, name);
  const t0 = performance.now();
  const resize = Math.round((model.size * 256) / 224);
  const { data, dims } = imagenetTensor(bitmap, { resize, crop: model.size, canvas: $('#preview') });
  bitmap.close();
  const preMs = performance.now() - t0;
  const feeds = { [model.inputName]: { data, dims } };
  const { outputs, timings } = await model.session.run(feeds);
  state.lastFeeds = feeds;
  const { data: scores, dims: outDims } = outputs[model.outputName];
  if (outDims.length > 2 || (outDims.length === 2 && outDims[0] !== 1)) {
    throw new InterfaceError(`The output “${model.outputName}” came back with shape ${shape(outDims)}: not one vector of class scores.`);
  }
  const labels = scores.length === 1000 && state.labels ? state.labels : null;
  renderTop5(topK(scores, 5), labels, name);
  if (timings.first) setTiming('first-inference', timings.run_ms, 'inside Python');
  setTiming('last-inference', timings.run_ms, `+ ${fmtMs(preMs)} canvas preprocessing, ${fmtMs(timings.total_ms)} round trip`);
  $('#preview-caption').textContent = `the model's view of ${name} (${model.size}×${model.size})`;
  $('#bench-status').textContent = `${name} · ${model.session.backend}`;
  // On a narrow screen the result is below the photo picker, out of sight.
  if (window.matchMedia('(max-width: 760px)').matches) $('#result-card').scrollIntoView({ block: 'start', behavior: 'instant' });
}

const LOW_CONFIDENCE = 0.2;   // a top-1 below this is shown as a guess, not an answer

function renderTop5(top, labels, source) {
  const ol = $('#top5');
  ol.replaceChildren(...top.map(({ index, prob }) => {
    const li = document.createElement('li');
    li.dataset.classId = String(index);
    li.dataset.prob = String(prob);
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = labels ? labels[index] : `class ${index}`;
    if (labels) {          // without names the label is already the number
      const id = document.createElement('small');
      id.textContent = `#${index}`;
      label.append(id);
    }
    const pct = document.createElement('span');
    pct.className = 'pct';
    pct.textContent = `${(prob * 100).toFixed(1)}%`;
    const track = document.createElement('span');
    track.className = 'track';
    const fill = document.createElement('span');
    fill.className = 'fill';
    fill.style.width = `${Math.max(0.5, prob * 100).toFixed(1)}%`;
    fill.style.display = 'block';
    track.append(fill);
    li.append(label, pct, track);
    return li;
  }));
  ol.dataset.source = source;
  const unsure = top.length > 0 && top[0].prob < LOW_CONFIDENCE;
  ol.classList.toggle('uncertain', unsure);
  $('#confidence-hint').hidden = !unsure;
  if (unsure) $('#confidence-hint').textContent = `Low confidence: the best guess has only ${(top[0].prob * 100).toFixed(1)}%. The model is unsure; the photo may show none of its classes.`;
  ol.dataset.runs = String(Number(ol.dataset.runs ?? 0) + 1);
}

// ---- Run 50× ---------------------------------------------------------------------------

async function benchmark() {
  if (!state.lastFeeds) return;
  clearError();
  const session = state.model.session;
  const status = $('#bench-status');
  status.textContent = 'running 0 / 50…';
  const budget = session.timeout ? { timeout: 10 * session.timeout } : {};
  const stats = await session.benchmark(state.lastFeeds, {
    ...budget,
    runs: 50,
    onProgress: (e) => { status.textContent = `running ${e.loaded} / ${e.total}…`; },
  });
  setTiming('p50', stats.p50, `over ${stats.runs} runs, mean ${fmtMs(stats.mean)}`);
  setTiming('p90', stats.p90, `min ${fmtMs(stats.min)}`);
  setTiming('p99', stats.p99, `max ${fmtMs(stats.max)}`);
  state.charts = { stats };
  drawHistogram($('#histogram'), stats);
  status.textContent = 'profiling each node…';
  const profile = await session.profile(null, { runs: 5, ...budget });
  state.charts.profile = profile;
  drawOpChart($('#op-chart'), withOnnxOpNames(profile));
  status.textContent = `${stats.runs} runs · ${session.backend} · per-op profile over ${profile.runs} runs (${fmtMs(profile.overhead_ms)} run-loop overhead)`;
}

// ---- wiring -----------------------------------------------------------------------------

function fileFrom(input) {
  const file = input.files?.[0];
  input.value = '';                      // the same file can be picked again
  return file;
}

const classifyFile = exclusive((file) => classify(file, file.name));
const dropped = (file) => {
  if (/\.onnx$/i.test(file.name)) { clearError(); openModel(file); } else classifyFile(file);
};
const openModel = exclusive((file) => useModel(file, file.name, { timeout: DEADLINE_MS }));
const runBenchmark = exclusive(benchmark);
const resetModel = exclusive(async () => {
  if (state.model !== state.defaultModel) await state.model.session.release();
  state.model = state.defaultModel;
  state.lastFeeds = null;
  showModel(state.model);
  resetResult();
  clearCharts();
  clearError();
});
const classifySample = exclusive(async (url) => {
  const response = await fetch(url);
  if (!response.ok) throw Object.assign(new Error(`could not load ${url}: HTTP ${response.status}`), { name: 'NetworkError' });
  await classify(await response.blob(), url.split('/').pop());
});

function wire() {
  $('#image-input').addEventListener('change', (e) => { const f = fileFrom(e.target); if (f) classifyFile(f); });
  $('#model-input').addEventListener('change', (e) => { const f = fileFrom(e.target); if (f) { clearError(); openModel(f); } });
  $('#bench').addEventListener('click', () => runBenchmark());
  $('#reset-model').addEventListener('click', () => resetModel());
  $('#error .error-close').addEventListener('click', clearError);
  const zone = $('#drop-zone');
  for (const type of ['dragenter', 'dragover']) {
    document.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add('over'); });
  }
  for (const type of ['dragleave', 'dragend']) {
    document.addEventListener(type, (e) => { if (!e.relatedTarget) zone.classList.remove('over'); });
  }
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const file = e.dataTransfer?.files?.[0];
    if (!file) return;
    if (!state.model) {          // still starting: the last file dropped waits for the model (main() takes it)
      if (document.body.dataset.ready === 'failed') return;
      state.pending = file;
      $('#top5').replaceChildren(Object.assign(document.createElement('li'), { className: 'placeholder', textContent: `${file.name} is queued: it runs as soon as the model has loaded.` }));
      $('#top5').dataset.queued = file.name;
      return;
    }
    dropped(file);
  });
  let resizeTimer = 0;
  window.addEventListener('resize', () => {      // canvases are drawn at their current width: redraw
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (state.charts?.stats) drawHistogram($('#histogram'), state.charts.stats);
      if (state.charts?.profile) drawOpChart($('#op-chart'), withOnnxOpNames(state.charts.profile));
    }, 150);
  });
  zone.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('#image-input').click(); } });
}

function addSamples(urls) {
  const box = $('#samples');
  for (const url of urls) {
    const name = url.split('/').pop();
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sample';
    button.dataset.sample = name;
    button.title = `classify ${name}`;
    button.disabled = true;
    const img = document.createElement('img');
    img.src = url; img.alt = name; img.loading = 'lazy';
    button.append(img);
    button.addEventListener('click', () => classifySample(url));
    box.append(button);
  }
}

async function main() {
  wire();
  const env = params.get('backend') === 'numpy' ? { WASM_INFER_BACKEND: 'numpy' } : {};
  if (params.get('plan')) env.WASM_INFER_PLAN = params.get('plan');   // ?plan=strict: the tests make plan failures raise
  state.env = env;
  try {
    state.rt = await WasmInfer.init({ onProgress, env });
    state.manifest = state.rt.manifest;
    for (const p of state.rt.timings) {
      if (PHASE_ROWS[p.phase]) setTiming(PHASE_ROWS[p.phase], p.ms, fmtBytes(p.bytes));
    }
    addSamples(state.manifest.samples ?? []);
    const labels = fetch(state.manifest.labels).then((r) => (r.ok ? r.json() : null)).catch(() => null);
    await useModel(state.manifest.model, 'EfficientNet-Lite0 (ImageNet)');
    state.labels = await labels;
    $('#progress-panel').hidden = true;
    document.body.dataset.ready = 'true';
  } catch (err) {
    showError(err);
    $('#kernel-badge').dataset.kind = 'error';
    $('#kernel-badge').textContent = 'failed to start';
    document.body.dataset.ready = 'failed';
  } finally {
    setBusy(false);
  }
  if (state.pending && state.model) {      // a file dropped while the runtime was starting
    const file = state.pending;
    state.pending = null;
    delete $('#top5').dataset.queued;
    dropped(file);
  }
  if (state.manifest?.lite) {
    $('#lite-link a').href = state.manifest.lite;
    $('#lite-link').hidden = false;
  }
}

main();
