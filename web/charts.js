// The demo's two charts, drawn on canvases (no chart library): a latency
// histogram with p50/p90/p99 markers, and horizontal bars of time per op type.
// Colours come from the page's CSS variables; drawing is sharp at any devicePixelRatio.

function prepareCanvas(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || 300;
  // The CSS height comes from the markup's height attribute, remembered before
  // the first resize (canvas.height then holds device pixels).
  canvas.dataset.cssHeight ??= canvas.getAttribute('height') || '160';
  const cssH = Number(canvas.dataset.cssHeight);
  canvas.style.height = `${cssH}px`;
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  const css = getComputedStyle(document.documentElement);
  const color = (name) => css.getPropertyValue(name).trim();
  ctx.font = '11px system-ui, sans-serif';
  return { ctx, w: cssW, h: cssH, color };
}

export function clearChart(canvas) {
  prepareCanvas(canvas);
  delete canvas.dataset.drawn;
}

export function drawHistogram(canvas, stats) {
  const { ctx, w, h, color } = prepareCanvas(canvas);
  const times = stats.times_ms;
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const bins = Math.min(20, Math.max(5, Math.round(Math.sqrt(times.length) * 2)));
  const width = (hi - lo) / bins || 1;
  const counts = new Array(bins).fill(0);
  for (const t of times) counts[Math.min(bins - 1, Math.floor((t - lo) / width))]++;
  const pad = { l: 28, r: 10, t: 36, b: 24 };
  const plotW = w - pad.l - pad.r;
  const plotH = h - pad.t - pad.b;
  const maxCount = Math.max(...counts);
  ctx.fillStyle = color('--bar');
  counts.forEach((c, i) => {
    const bh = (c / maxCount) * plotH;
    ctx.fillRect(pad.l + (i * plotW) / bins + 1, pad.t + plotH - bh, plotW / bins - 2, bh);
  });
  ctx.strokeStyle = color('--line');
  ctx.beginPath(); ctx.moveTo(pad.l, pad.t + plotH + 0.5); ctx.lineTo(w - pad.r, pad.t + plotH + 0.5); ctx.stroke();
  ctx.fillStyle = color('--muted');
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left'; ctx.fillText(`${lo.toFixed(1)}`, pad.l, pad.t + plotH + 6);
  ctx.textAlign = 'right'; ctx.fillText(`${hi.toFixed(1)} ms`, w - pad.r, pad.t + plotH + 6);
  ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
  ctx.fillText(String(maxCount), pad.l - 6, pad.t + 4);
  ctx.fillText('0', pad.l - 6, pad.t + plotH);
  // p50 / p90 / p99 markers, their labels stacked above the plot so they never collide.
  const marks = [['p50', stats.p50, []], ['p90', stats.p90, [4, 3]], ['p99', stats.p99, [1, 3]]];
  marks.forEach(([name, v, dash], i) => {
    const x = pad.l + ((v - lo) / ((hi - lo) || 1)) * plotW;
    const labelY = 11 + i * 11;
    ctx.strokeStyle = color('--text');
    ctx.setLineDash(dash);
    ctx.beginPath(); ctx.moveTo(x, labelY + 1); ctx.lineTo(x, pad.t + plotH); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = color('--text');
    ctx.textBaseline = 'bottom';
    const text = `${name} ${v.toFixed(1)}`;
    const right = x + 4 + ctx.measureText(text).width > w - pad.r;
    ctx.textAlign = right ? 'right' : 'left';
    ctx.fillText(text, right ? x - 4 : x + 4, labelY + 1);
  });
  canvas.dataset.drawn = 'histogram';
}

export function drawOpChart(canvas, profile) {
  const ops = profile.ops.slice(0, 10);
  const rest = profile.ops.slice(10).reduce((a, o) => a + o.ms, 0);
  if (rest > 0) ops.push({ op_type: 'other', ms: rest, nodes: profile.ops.length - 10 });
  if (profile.overhead_ms > 0) ops.push({ op_type: '(run loop)', ms: profile.overhead_ms, nodes: 0 });
  canvas.dataset.cssHeight = String(Math.max(120, 22 * ops.length + 16));
  const { ctx, w, color } = prepareCanvas(canvas);
  const labelW = Math.min(150, w * 0.38);
  const valueW = 70;
  const maxMs = Math.max(...ops.map((o) => o.ms)) || 1;
  ctx.textBaseline = 'middle';
  ops.forEach((o, i) => {
    const y = 8 + i * 22;
    ctx.fillStyle = color('--text');
    ctx.textAlign = 'right';
    ctx.fillText(o.nodes ? `${o.op_type} ×${o.nodes}` : o.op_type, labelW - 6, y + 8, labelW - 8);
    ctx.fillStyle = o.op_type.startsWith('(') || o.op_type === 'other' ? color('--bar2') : color('--bar');
    const bw = Math.max(1, ((w - labelW - valueW) * o.ms) / maxMs);
    ctx.fillRect(labelW, y + 1, bw, 14);
    ctx.fillStyle = color('--muted');
    ctx.textAlign = 'left';
    ctx.fillText(o.ms >= 10 ? o.ms.toFixed(1) : o.ms.toFixed(2), labelW + bw + 6, y + 8);
  });
  canvas.dataset.drawn = 'ops';
  canvas.dataset.ops = ops.map((o) => o.op_type).join(',');
}
