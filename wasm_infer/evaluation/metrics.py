"""The numbers of a report, computed from its per-photo records.

A record: {"name", "label" (the dataset's), "true" (class index), "top"
([[class, probability], ...] best first), "latency_ms"}."""
from collections import Counter


def percentiles(values, qs=(50, 90, 99)):
    """Nearest-rank percentiles (no interpolation: each is a measured value)."""
    if not values:
        return {f"p{q}": None for q in qs}
    s = sorted(values)
    return {f"p{q}": s[min(len(s) - 1, max(0, -(-q * len(s) // 100) - 1))] for q in qs}


def summarise(records, class_name, top_k, examples=10):
    n = len(records)
    top1 = sum(r["top"][0][0] == r["true"] for r in records)
    topk = sum(any(c == r["true"] for c, _ in r["top"][:top_k]) for r in records)
    pairs = Counter((r["true"], r["top"][0][0]) for r in records)
    true_n = Counter(r["true"] for r in records)
    pred_n = Counter(r["top"][0][0] for r in records)
    per_class = []
    for c in sorted(set(true_n) | set(pred_n), key=lambda c: (-true_n[c], -pred_n[c], c)):
        tp = pairs[(c, c)]
        per_class.append({"class": c, "name": class_name(c), "support": true_n[c], "predicted": pred_n[c],
                          "correct": tp,
                          "precision": tp / pred_n[c] if pred_n[c] else None,
                          "recall": tp / true_n[c] if true_n[c] else None})
    confusions = [{"true": t, "true_name": class_name(t), "predicted": p, "predicted_name": class_name(p),
                   "count": k}
                  for (t, p), k in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])) if t != p]
    wrong = [r for r in records if r["top"][0][0] != r["true"]]
    right = [r for r in records if r["top"][0][0] == r["true"]]
    return {
        "count": n,
        "top1_accuracy": top1 / n if n else None,
        f"top{top_k}_accuracy": topk / n if n else None,
        "per_class": per_class,
        # rows: true classes; columns: predicted; restricted to the classes seen
        "confusion": {"classes": [pc["class"] for pc in per_class],
                      "counts": [[pairs[(t["class"], p["class"])] for p in per_class] for t in per_class]},
        "confusions": confusions,
        "confident_mistakes": [r["name"] for r in sorted(wrong, key=lambda r: -r["top"][0][1])[:examples]],
        "unsure_correct": [r["name"] for r in sorted(right, key=lambda r: r["top"][0][1])[:examples]],
        "latency_ms": {**percentiles([r["latency_ms"] for r in records]),
                       "mean": sum(r["latency_ms"] for r in records) / n if n else None},
    }
