// What the Evaluate mode shows (web/evaluate.js computes it): the accuracy
// line, the confusion matrix of the most frequent classes (rows sortable by
// clicking a header), the galleries of mistakes and low-confidence hits, the
// comparison with a second model, and the report as one HTML page.

const $ = (sel) => document.querySelector(sel);
const MATRIX_CLASSES = 12;
const pct = (x) => (x == null ? '—' : `${(x * 100).toFixed(1)}%`);

const el = (tag, props = {}, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
};

function card(r, thumb) {
  const li = el('li', { className: 'eval-case' });
  li.dataset.name = r.name;
  if (thumb) li.append(el('img', { src: thumb, alt: r.name }));
  li.append(el('div', { className: 'eval-name', textContent: r.name }), el('div', { textContent: `label: ${r.true_name}` }));
  const ol = el('ol', { className: 'eval-top5' });
  for (const [c, p, n] of r.top) ol.append(el('li', { className: c === r.true ? 'hit' : '', textContent: `${n} ${(p * 100).toFixed(1)}%` }));
  li.append(ol);
  li.addEventListener('click', () => li.classList.toggle('open'));   // the top-5 shows on click
  return li;
}

/** The matrix of the k most frequent classes; `order`: row order by 'count' (default), 'name' or 'errors'. */
function matrix(report, order = 'count') {
  const cm = report.confusion;
  const k = Math.min(MATRIX_CLASSES, cm.classes.length);
  const idx = [...Array(k).keys()];
  const errors = (i) => cm.counts[i].reduce((a, v, j) => a + (i === j ? 0 : v), 0);
  if (order === 'name') idx.sort((i, j) => cm.names[i].localeCompare(cm.names[j]));
  else if (order === 'errors') idx.sort((i, j) => errors(j) - errors(i) || i - j);
  const sortBy = (o, text) => el('button', { type: 'button', className: `link${o === order ? ' on' : ''}`, textContent: text,
    onclick: () => $('#eval-matrix').replaceChildren(matrix(report, o)) });
  const table = el('table', { className: 'eval-matrix' });
  table.dataset.order = order;
  const corner = el('th', {}, 'true ↓ predicted → · sort: ', sortBy('count', 'frequent'), ' ', sortBy('errors', 'errors'), ' ', sortBy('name', 'name'));
  table.append(el('tr', {}, corner, ...idx.map((j) => el('th', { textContent: cm.names[j] }))));
  for (const i of idx) {
    const row = el('tr', {}, el('th', { textContent: cm.names[i] }));
    for (const j of idx) {
      const v = cm.counts[i][j];
      row.append(el('td', { textContent: v || '', className: v ? (i === j ? 'diag' : 'off') : '' }));
    }
    table.append(row);
  }
  const hidden = cm.classes.length - k;
  return hidden > 0 ? el('div', {}, table, el('p', { className: 'hint', textContent: `${hidden} rarer class(es) not shown; the report has them all.` })) : table;
}

export function renderReport(s, thumbs) {
  $('#eval-accuracy').textContent = `top-1 ${pct(s.top1_accuracy)} · top-5 ${pct(s.top5_accuracy)} `
    + `over ${s.evaluated} photos${s.skipped.length ? ` (${s.skipped.length} skipped)` : ''} · p50 ${s.latency_ms.p50?.toFixed(1) ?? '—'} ms`;
  $('#eval-accuracy').dataset.top1 = String(s.top1_accuracy);
  $('#eval-matrix').replaceChildren(matrix(s));
  const byName = new Map(s.records.map((r) => [r.name, r]));
  $('#eval-mistakes').replaceChildren(...s.confident_mistakes.map((n) => card(byName.get(n), thumbs.get(n))));
  $('#eval-unsure').replaceChildren(...s.unsure_correct.map((n) => card(byName.get(n), thumbs.get(n))));
  $('#eval-skipped').replaceChildren(...s.skipped.map((x) => el('li', { textContent: `${x.name}: ${x.reason}` })));
  for (const sel of ['#eval-results', '#eval-regression', '#eval-download-html']) $(sel).hidden = false;
}

export function renderComparison(c, thumbs) {
  const delta = c.accuracy_delta == null ? '—' : `${c.accuracy_delta >= 0 ? '+' : '−'}${Math.abs(c.accuracy_delta * 100).toFixed(1)} points`;
  const summary = el('p', { className: 'eval-accuracy', textContent: `${c.b} against ${c.a} on ${c.common} photos: top-1 ${pct(c.accuracy_a)} → ${pct(c.accuracy_b)} (${delta}); `
    + `${c.changed.length} prediction(s) changed: ${c.fixed.length} fixed, ${c.broken.length} broken` });
  summary.dataset.delta = String(c.accuracy_delta);
  const table = el('table', { className: 'eval-changes' });
  table.append(el('tr', {}, ...['', 'photo', 'label', c.a, c.b].map((t) => el('th', { textContent: t }))));
  const mark = (side) => `${side.name} ${(side.probability * 100).toFixed(0)}% ${side.correct ? '✓' : '✗'}`;
  for (const x of c.changed) {
    const kind = c.fixed.includes(x.name) ? 'fixed' : c.broken.includes(x.name) ? 'broken' : 'changed';
    const tr = el('tr', { className: kind });
    tr.dataset.name = x.name; tr.dataset.kind = kind;
    const img = thumbs.get(x.name) ? el('img', { src: thumbs.get(x.name), alt: '' }) : '';
    tr.append(el('td', {}, img), el('td', { textContent: x.name }), el('td', { textContent: x.true_name }),
      el('td', { textContent: mark(x.a) }), el('td', { textContent: `${mark(x.b)} · ${kind}` }));
    table.append(tr);
  }
  $('#eval-compare-result').replaceChildren(summary, ...(c.changed.length ? [el('div', { className: 'eval-scroll' }, table)] : []));
}

const esc = (s) => String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The report as one self-contained page (no script; by its CSP nothing is fetched), like Python's Report.save(). */
export function renderHtmlReport(s, thumbs) {
  const byName = new Map(s.records.map((r) => [r.name, r]));
  const gallery = (names) => `<div class="gallery">${names.map((n) => {
    const r = byName.get(n);
    const img = thumbs.get(n) ? `<img src="${esc(thumbs.get(n))}" alt="">` : '';
    return `<div class="case">${img}<div class="name">${esc(n)}</div>label: ${esc(r.true_name)}<ol>${
      r.top.map(([c, p, nm]) => `<li class="${c === r.true ? 'ok' : ''}">${esc(nm)} ${(p * 100).toFixed(1)}%</li>`).join('')}</ol></div>`;
  }).join('') || '<p>none</p>'}</div>`;
  const cm = s.confusion;
  const k = Math.min(15, cm.classes.length);
  const head = `<tr><th>true ↓ predicted →</th>${cm.names.slice(0, k).map((n) => `<th>${esc(n)}</th>`).join('')}</tr>`;
  const rows = cm.counts.slice(0, k).map((row, i) => `<tr><th>${esc(cm.names[i])}</th>${row.slice(0, k).map((v) => `<td>${v || ''}</td>`).join('')}</tr>`).join('');
  const perClass = s.per_class.map((c) => `<tr><td>${esc(c.name)}</td><td>${c.support}</td><td>${c.predicted}</td><td>${pct(c.precision)}</td><td>${pct(c.recall)}</td></tr>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>wasm_infer evaluation: ${esc(s.model)}</title><style>body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em}
table{border-collapse:collapse}td,th{padding:3px 8px;border:1px solid #ddd}.gallery{display:flex;flex-wrap:wrap;gap:12px}
.case{width:200px;border:1px solid #ddd;padding:6px;border-radius:6px}.case img{width:100%}.name{word-break:break-all;color:#555}.ok{font-weight:600}</style></head><body>
<h1>Evaluation of ${esc(s.model)}</h1><p>${esc(s.source)}: top-1 <b>${pct(s.top1_accuracy)}</b>, top-5 <b>${pct(s.top5_accuracy)}</b> over ${s.evaluated} photos
(${s.skipped.length} skipped); latency p50 ${s.latency_ms.p50?.toFixed(1)} ms, p90 ${s.latency_ms.p90?.toFixed(1)} ms</p>
<h2>Confusion matrix</h2><table>${head}${rows}</table>
<h2>Most frequent confusions</h2><ul>${s.confusions.slice(0, 20).map((c) => `<li>${esc(c.true_name)} → ${esc(c.predicted_name)}: ${c.count}</li>`).join('') || '<li>none</li>'}</ul>
<h2>Mistakes</h2>${gallery(s.confident_mistakes)}<h2>Low-confidence hits</h2>${gallery(s.unsure_correct)}
<h2>Per class</h2><table><tr><th>class</th><th>photos</th><th>predicted</th><th>precision</th><th>recall</th></tr>${perClass}</table>
<h2>Skipped</h2><ul>${s.skipped.map((x) => `<li>${esc(x.name)}: ${esc(x.reason)}</li>`).join('') || '<li>none</li>'}</ul></body></html>\n`;
}
