// The numbers of the page's Evaluate mode, computed from per-photo records as
// wasm_infer.evaluation does in Python (metrics.py, compare.py, report.py),
// so a report or a regression set saved here reads like one saved there.
// A record: { name, label (the folder name), true (class), top: [[class, p]...], latency_ms }.

export const LOW = 0.5;     // a correct answer below this probability is a "low-confidence hit"
const EXAMPLES = 10;

/**
 * Matches a dataset's label names to class indices with Python's rules
 * (wasm_infer/evaluation/labels.py): `classes` is a list of [display name,
 * synonyms...]; `pattern` the characters comparison ignores (its
 * NORM_PATTERN, shipped in the site's data/imagenet_classes.json).
 */
export class Matcher {
  constructor(classes, pattern = '[\\s_\\-.]+') {
    this.classes = classes;
    this.re = new RegExp(pattern, 'g');
    this.index = new Map();
    // Display names first, so that a synonym shared by two classes (ImageNet
    // has two "crane"s) never hides a class's own name.
    for (const pass of [0, 1]) {
      classes.forEach((names, i) => {
        for (const n of (pass === 0 ? names.slice(0, 1) : names.slice(1))) {
          const key = this.norm(n);
          if (!this.index.has(key)) this.index.set(key, i);
        }
      });
    }
  }

  norm(name) { return String(name).replace(this.re, '').toLowerCase(); }

  match(label) {
    const key = this.norm(label);
    if (this.index.has(key)) return this.index.get(key);
    return /^\d+$/.test(key) && Number(key) < this.classes.length ? Number(key) : null;
  }

  /** { found: Map(label → class), missing: [label with a "did you mean" hint...] } */
  resolve(labels) {
    const found = new Map(); const missing = [];
    for (const lab of [...new Set(labels)].sort()) {
      const i = this.match(lab);
      if (i === null) missing.push(`${lab}${this.suggest(lab)}`); else found.set(lab, i);
    }
    return { found, missing };
  }

  suggest(label) {
    const key = this.norm(label);
    if (key.length < 3) return '';
    const near = this.classes.filter((names) => names.some((n) => this.norm(n).includes(key))).slice(0, 3).map((names) => `“${names[0]}”`);
    return near.length ? ` (did you mean ${near.join(', ')}?)` : '';
  }
}

/** Nearest-rank percentiles, as metrics.percentiles. */
function percentiles(values) {
  const s = [...values].sort((a, b) => a - b);
  const at = (q) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((q * s.length) / 100) - 1))] : null);
  return { p50: at(50), p90: at(90), p99: at(99), mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : null };
}

const top1 = (r) => r.top[0][0];

/** The summary of metrics.summarise, plus the class names the page shows. */
export function summarise(records, name, topK = 5) {
  const n = records.length;
  const count = (f) => records.filter(f).length;
  const pairs = new Map(); const trueN = new Map(); const predN = new Map();
  const inc = (m, k) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const r of records) { inc(pairs, `${r.true},${top1(r)}`); inc(trueN, r.true); inc(predN, top1(r)); }
  const classes = [...new Set([...trueN.keys(), ...predN.keys()])]
    .sort((a, b) => (trueN.get(b) ?? 0) - (trueN.get(a) ?? 0) || (predN.get(b) ?? 0) - (predN.get(a) ?? 0) || a - b);
  const pair = (t, p) => pairs.get(`${t},${p}`) ?? 0;
  const perClass = classes.map((c) => {
    const tp = pair(c, c); const support = trueN.get(c) ?? 0; const predicted = predN.get(c) ?? 0;
    return { class: c, name: name(c), support, predicted, correct: tp,
      precision: predicted ? tp / predicted : null, recall: support ? tp / support : null };
  });
  const confusions = [...pairs].map(([k, c]) => [...k.split(',').map(Number), c]).filter(([t, p]) => t !== p)
    .sort((a, b) => b[2] - a[2] || a[0] - b[0] || a[1] - b[1])
    .map(([t, p, c]) => ({ true: t, true_name: name(t), predicted: p, predicted_name: name(p), count: c }));
  const wrong = records.filter((r) => top1(r) !== r.true).sort((a, b) => b.top[0][1] - a.top[0][1]);
  const right = records.filter((r) => top1(r) === r.true).sort((a, b) => a.top[0][1] - b.top[0][1]);
  return {
    count: n,
    top1_accuracy: n ? count((r) => top1(r) === r.true) / n : null,
    [`top${topK}_accuracy`]: n ? count((r) => r.top.slice(0, topK).some(([c]) => c === r.true)) / n : null,
    per_class: perClass,
    confusion: { classes, names: classes.map(name), counts: classes.map((t) => classes.map((p) => pair(t, p))) },
    confusions,
    // the page lists every mistake and every correct answer under LOW; Python's report keeps EXAMPLES of each
    confident_mistakes: wrong.map((r) => r.name),
    unsure_correct: right.filter((r) => r.top[0][1] < LOW).map((r) => r.name),
    examples: EXAMPLES,
    latency_ms: percentiles(records.map((r) => r.latency_ms)),
  };
}

/** The report in the JSON format of Python's Report.to_dict(). */
export function buildReport({ records, skipped, name, model, source, topK = 5 }) {
  return {
    format: 'wasm_infer-evaluation', version: 1, source, model, regression_source: null, top_k: topK,
    evaluated: records.length, skipped, ...summarise(records, name, topK),
    records: records.map((r) => ({ ...r, true_name: name(r.true), top: r.top.map(([c, p]) => [c, p, name(c)]) })),
  };
}

const correct = (r) => r.top[0][0] === r.true;

/** The photos whose top-1 changed between two reports, and the accuracy delta (b − a), as compare.py's to_dict(). */
export function compareReports(a, b) {
  const byA = new Map(a.records.map((r) => [r.name, r]));
  const byB = new Map(b.records.map((r) => [r.name, r]));
  const common = [...byA.keys()].filter((n) => byB.has(n));
  const acc = (by) => (common.length ? common.filter((n) => correct(by.get(n))).length / common.length : null);
  const side = (r) => ({ class: r.top[0][0], name: r.top[0][2], probability: r.top[0][1], correct: correct(r) });
  const changed = common.filter((n) => byA.get(n).top[0][0] !== byB.get(n).top[0][0]).map((n) => {
    const ra = byA.get(n);
    return { name: n, label: ra.label, true_name: ra.true_name, a: side(ra), b: side(byB.get(n)) };
  });
  const accuracyA = acc(byA); const accuracyB = acc(byB);
  return {
    common: common.length, accuracy_a: accuracyA, accuracy_b: accuracyB,
    accuracy_delta: common.length ? accuracyB - accuracyA : null, changed,
    fixed: changed.filter((c) => c.b.correct && !c.a.correct).map((c) => c.name),
    broken: changed.filter((c) => c.a.correct && !c.b.correct).map((c) => c.name),
    only_a: [...byA.keys()].filter((n) => !byB.has(n)), only_b: [...byB.keys()].filter((n) => !byA.has(n)),
  };
}

function base64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * The hard cases (mistakes, and correct answers under minConfidence) as the
 * JSON that Python's Report.regression_set() writes and
 * wasm_infer.evaluate(session, path) re-runs: each photo embedded (base64)
 * with its label and this report's prediction. readPhoto(name) → Blob.
 */
export async function regressionSet(report, readPhoto, minConfidence = LOW) {
  const cases = [];
  for (const r of report.records) {
    if (correct(r) && r.top[0][1] >= minConfidence) continue;
    const blob = await readPhoto(r.name);
    cases.push({ name: r.name, label: r.label, true_name: r.true_name, predicted: r.top[0][0],
      predicted_name: r.top[0][2], probability: r.top[0][1], image: base64(new Uint8Array(await blob.arrayBuffer())) });
  }
  return { format: 'wasm_infer-regression-set', version: 1, source: report.source, min_confidence: minConfidence, cases };
}
