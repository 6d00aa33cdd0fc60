"""Report: what evaluate() returns; saves itself as HTML + JSON and as a regression set."""
import base64
import json
from pathlib import Path

from .dataset import REGRESSION_FORMAT
from .metrics import summarise


class Report:
    """records: one dict per evaluated photo (name, label, true class, top-k
    [[class, probability]], latency_ms); skipped: the photos that could not be
    evaluated, with the reason; summary: the numbers (see metrics.summarise)."""

    def __init__(self, records, skipped, classes, top_k, items=None, source=None, regression_source=None):
        self.records, self.skipped, self.classes, self.top_k = records, skipped, classes, top_k
        self.source, self.regression_source = source, regression_source
        self._items = items or {}
        self.summary = summarise(records, self.class_name, top_k)
        self.by_name = {r["name"]: r for r in records}

    def class_name(self, c):
        return self.classes[c][0] if 0 <= c < len(self.classes) else f"class {c}"

    @property
    def top1_accuracy(self):
        return self.summary["top1_accuracy"]

    @property
    def topk_accuracy(self):
        return self.summary[f"top{self.top_k}_accuracy"]

    @property
    def latency_ms(self):
        return self.summary["latency_ms"]

    @property
    def mistakes(self):
        """The wrongly classified photos' records, most confident first."""
        return sorted((r for r in self.records if r["top"][0][0] != r["true"]), key=lambda r: -r["top"][0][1])

    def to_dict(self):
        return {"format": "wasm_infer-evaluation", "version": 1, "source": self.source,
                "regression_source": self.regression_source, "top_k": self.top_k,
                "evaluated": len(self.records), "skipped": self.skipped, **self.summary,
                "records": [{**r, "true_name": self.class_name(r["true"]),
                             "top": [[c, p, self.class_name(c)] for c, p in r["top"]]} for r in self.records]}

    def __repr__(self):
        s, lat = self.summary, self.latency_ms
        return (f"<Report {len(self.records)} photos ({len(self.skipped)} skipped): top-1 {s['top1_accuracy']:.1%}, "
                f"top-{self.top_k} {self.topk_accuracy:.1%}, latency p50 {lat['p50']:.1f} ms, p90 {lat['p90']:.1f} ms>")

    def save(self, path):
        """Write `path` as a self-contained HTML page (no script, no external
        resource) and the same numbers as JSON beside it (path with .json).
        Returns (html path, json path)."""
        from .html import render
        path = Path(path)
        html_path = path if path.suffix.lower() in (".html", ".htm") else path.with_suffix(".html")
        json_path = html_path.with_suffix(".json")
        json_path.write_text(json.dumps(self.to_dict(), indent=1), encoding="utf-8")
        html_path.write_text(render(self), encoding="utf-8")
        return html_path, json_path

    def read_image(self, name):
        """The encoded bytes of a photo of this report (None if it is gone)."""
        item = self._items.get(name)
        try:
            return item.read() if item else None
        except OSError:
            return None

    def hard_cases(self, min_confidence=0.5):
        """Records of the mistakes and of the correct answers below min_confidence."""
        return [r for r in self.records if r["top"][0][0] != r["true"] or r["top"][0][1] < min_confidence]

    def regression_set(self, path, min_confidence=0.5, embed=True):
        """Save the hard cases (see hard_cases) as a JSON file that
        evaluate(session, path) re-runs: each case's label, this report's
        prediction and the photo itself (base64, embed=True) or its path."""
        cases = []
        for r in self.hard_cases(min_confidence):
            case = {"name": r["name"], "label": r["label"], "true_name": self.class_name(r["true"]),
                    "predicted": r["top"][0][0], "predicted_name": self.class_name(r["top"][0][0]),
                    "probability": r["top"][0][1]}
            item = self._items.get(r["name"])
            if embed or item is None or isinstance(item.source, (bytes, bytearray, memoryview)):
                data = self.read_image(r["name"])
                if data is None:
                    continue
                case["image"] = base64.b64encode(data).decode("ascii")
            else:
                case["path"] = str(Path(item.source).resolve())
            cases.append(case)
        Path(path).write_text(json.dumps({"format": REGRESSION_FORMAT, "version": 1, "source": self.source,
                                          "min_confidence": min_confidence, "cases": cases}, indent=1),
                              encoding="utf-8")
        return len(cases)
