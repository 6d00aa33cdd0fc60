"""compare(a, b): what changed between two evaluations of the same photos."""


class Comparison:
    def __init__(self, a, b):
        common = [n for n in a.by_name if n in b.by_name]
        self.common = len(common)
        self.only_a = [n for n in a.by_name if n not in b.by_name]
        self.only_b = [n for n in b.by_name if n not in a.by_name]

        def acc(rep):
            return sum(rep.by_name[n]["top"][0][0] == rep.by_name[n]["true"] for n in common) / len(common) \
                if common else None
        self.accuracy_a, self.accuracy_b = acc(a), acc(b)
        self.accuracy_delta = self.accuracy_b - self.accuracy_a if common else None
        self.changed = []
        for n in common:
            ra, rb = a.by_name[n], b.by_name[n]
            if ra["top"][0][0] != rb["top"][0][0]:
                self.changed.append({
                    "name": n, "label": ra["label"], "true_name": a.class_name(ra["true"]),
                    "a": {"class": ra["top"][0][0], "name": a.class_name(ra["top"][0][0]), "probability": ra["top"][0][1],
                          "correct": ra["top"][0][0] == ra["true"]},
                    "b": {"class": rb["top"][0][0], "name": b.class_name(rb["top"][0][0]), "probability": rb["top"][0][1],
                          "correct": rb["top"][0][0] == rb["true"]}})
        self.fixed = [c["name"] for c in self.changed if c["b"]["correct"] and not c["a"]["correct"]]
        self.broken = [c["name"] for c in self.changed if c["a"]["correct"] and not c["b"]["correct"]]

    def to_dict(self):
        return {k: getattr(self, k) for k in ("common", "accuracy_a", "accuracy_b", "accuracy_delta",
                                              "changed", "fixed", "broken", "only_a", "only_b")}

    def __str__(self):
        if not self.common:
            return "no photo in common"
        lines = [f"{self.common} photos in common: top-1 {self.accuracy_a:.1%} → {self.accuracy_b:.1%} "
                 f"({self.accuracy_delta * 100:+.1f} points); {len(self.changed)} predictions changed "
                 f"({len(self.fixed)} fixed, {len(self.broken)} broken)"]
        for c in self.changed:
            mark = lambda side: "✓" if c[side]["correct"] else "✗"
            lines.append(f"  {c['name']} [{c['label']}]: {c['a']['name']} {mark('a')} → {c['b']['name']} {mark('b')}")
        return "\n".join(lines)


def compare(report_a, report_b):
    """The photos of both reports (by name) whose top-1 prediction changed,
    and the top-1 accuracy of each over the photos they share, with the delta (b - a)."""
    return Comparison(report_a, report_b)
