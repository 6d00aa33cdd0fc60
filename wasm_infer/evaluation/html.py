"""The report as one self-contained HTML page: tables, inline SVG plots and
data: thumbnails; no script and, by its Content-Security-Policy, nothing
fetched from anywhere. Every string from the data is escaped."""
import base64
import io
from html import escape

MAX_MATRIX = 15       # classes shown in the confusion matrix (the most frequent)
THUMB = 112

CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}table{border-collapse:collapse}
td,th{padding:3px 8px;border:1px solid #ddd;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.big{font-size:2em;font-weight:600}.kpis{display:flex;gap:2.5em;flex-wrap:wrap}.kpis small{display:block;color:#666}
.cm td{text-align:center;min-width:2em}.cm th.rot{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal}
.gallery{display:flex;flex-wrap:wrap;gap:12px}.case{width:220px;border:1px solid #ddd;padding:6px;border-radius:6px}
.case img{width:100%;height:auto}.case .name{word-break:break-all;font-size:12px;color:#555}
.bad{color:#b00020}.ok{color:#1b5e20}ol{padding-left:1.4em;margin:.3em 0}"""


def render(report):
    s = report.summary
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; img-src data:; "
             "style-src 'unsafe-inline'\">"
             f"<title>wasm_infer evaluation: {escape(str(report.source))}</title><style>{CSS}</style></head><body>",
             f"<h1>Evaluation of {escape(str(report.source))}</h1>", _kpis(report),
             "<h2>Latency</h2>", _histogram([r["latency_ms"] for r in report.records]),
             "<h2>Most frequent confusions</h2>", _confusions(s["confusions"][:20]),
             "<h2>Confusion matrix</h2>", _matrix(report),
             "<h2>Most confident mistakes</h2>", _gallery(report, s["confident_mistakes"]),
             "<h2>Least confident correct answers</h2>", _gallery(report, s["unsure_correct"]),
             "<h2>Per class</h2>", _per_class(s["per_class"]), "<h2>Skipped photos</h2>", _skipped(report.skipped),
             "</body></html>"]
    return "\n".join(parts)


def _pct(x):
    return "—" if x is None else f"{x * 100:.1f}%"


def _kpis(report):
    s, lat = report.summary, report.latency_ms
    cells = [(_pct(s["top1_accuracy"]), "top-1 accuracy"), (_pct(report.topk_accuracy), f"top-{report.top_k} accuracy"),
             (str(len(report.records)), "photos evaluated"), (str(len(report.skipped)), "skipped (unreadable)"),
             (f"{lat['p50']:.1f} ms", "latency p50"), (f"{lat['p90']:.1f} / {lat['p99']:.1f} ms", "p90 / p99")]
    return "<div class='kpis'>" + "".join(f"<div><span class='big'>{escape(v)}</span><small>{escape(k)}</small></div>"
                                          for v, k in cells) + "</div>"


def _histogram(values, width=640, height=160, bins=20):
    if not values:
        return "<p>no runs</p>"
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / span * bins))] += 1
    top, bw, ph = max(counts), (width - 40) / bins, height - 30
    bars = "".join(f"<rect x='{30 + i * bw:.1f}' y='{10 + ph - c / top * ph:.1f}' width='{bw - 2:.1f}' "
                   f"height='{c / top * ph:.1f}' fill='#3f6fb5'><title>{c} runs</title></rect>"
                   for i, c in enumerate(counts) if c)
    return (f"<svg role='img' aria-label='latency histogram' width='{width}' height='{height}' "
            f"xmlns='http://www.w3.org/2000/svg'>{bars}"
            f"<line x1='30' y1='{10 + ph}' x2='{width - 10}' y2='{10 + ph}' stroke='#888'/>"
            f"<text x='30' y='{height - 4}' font-size='11'>{lo:.1f} ms</text>"
            f"<text x='{width - 10}' y='{height - 4}' font-size='11' text-anchor='end'>{hi:.1f} ms</text></svg>")


def _confusions(rows):
    if not rows:
        return "<p>none: every top-1 prediction is right</p>"
    body = "".join(f"<tr><td>{escape(r['true_name'])}</td><td>{escape(r['predicted_name'])}</td>"
                   f"<td class='n'>{r['count']}</td></tr>" for r in rows)
    return f"<table><tr><th>true class</th><th>predicted</th><th>photos</th></tr>{body}</table>"


def _matrix(report):
    cm = report.summary["confusion"]
    keep = list(range(min(MAX_MATRIX, len(cm["classes"]))))       # classes come sorted by support
    names = [escape(report.class_name(cm["classes"][i])) for i in keep]
    peak = max((cm["counts"][i][j] for i in keep for j in keep), default=0) or 1
    head = "<tr><th>true ↓ / predicted →</th>" + "".join(f"<th class='rot'>{n}</th>" for n in names) + "</tr>"
    rows = []
    for i in keep:
        cells = []
        for j in keep:
            k = cm["counts"][i][j]
            hue = "120,60%" if i == j else "0,70%"
            style = f" style='background:hsla({hue},45%,{k / peak:.2f})'" if k else ""
            cells.append(f"<td{style}>{k or ''}</td>")
        rows.append(f"<tr><th>{names[i]}</th>{''.join(cells)}</tr>")
    note = (f"<p>the {len(keep)} most frequent of {len(cm['classes'])} classes</p>"
            if len(keep) < len(cm["classes"]) else "")
    return f"{note}<table class='cm'>{head}{''.join(rows)}</table>"


def _thumb(data):
    try:
        from PIL import Image
        img = Image.open(io.BytesIO(data))
        img = img.convert("RGB")
        img.thumbnail((THUMB * 2, THUMB * 2))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=80)
        return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    except Exception:       # any decoder failure: the case is listed without its picture
        return None


def _gallery(report, names):
    if not names:
        return "<p>none</p>"
    cards = []
    for n in names:
        r = report.by_name[n]
        data = report.read_image(n)
        src = _thumb(data) if data else None
        img = f"<img alt='{escape(n, quote=True)}' src='{src}'>" if src else ""
        top = "".join(f"<li class='{'ok' if c == r['true'] else ''}'>{escape(report.class_name(c))} "
                      f"{p * 100:.1f}%</li>" for c, p in r["top"])
        cards.append(f"<div class='case'>{img}<div class='name'>{escape(n)}</div>"
                     f"<div>label: <b>{escape(report.class_name(r['true']))}</b></div><ol>{top}</ol></div>")
    return f"<div class='gallery'>{''.join(cards)}</div>"


def _per_class(rows):
    body = "".join(f"<tr><td>{escape(r['name'])}</td><td class='n'>{r['class']}</td><td class='n'>{r['support']}</td>"
                   f"<td class='n'>{r['predicted']}</td><td class='n'>{_pct(r['precision'])}</td>"
                   f"<td class='n'>{_pct(r['recall'])}</td></tr>" for r in rows)
    return ("<table><tr><th>class</th><th>id</th><th>photos</th><th>predicted</th><th>precision</th>"
            f"<th>recall</th></tr>{body}</table>")


def _skipped(rows):
    if not rows:
        return "<p>none</p>"
    body = "".join(f"<tr><td>{escape(r['name'])}</td><td>{escape(r['label'])}</td><td>{escape(r['reason'])}</td></tr>"
                   for r in rows)
    return f"<table><tr><th>photo</th><th>label</th><th>reason</th></tr>{body}</table>"
