"""evaluate(): run a classifier over labelled photos, one photo at a time."""
import time

import numpy as np

from ..errors import InputError, WasmInferError
from . import dataset, labels as labels_mod
from .progress import reporter
from .report import Report


def evaluate(session, images, labels=None, preprocess=None, top_k=5, progress=None):
    """Run `session` on every labelled photo of `images` and return a Report.

    images: a folder whose subfolders are named after the classes, a list of
    (path or bytes, label) pairs, a CSV of path,label rows, or a regression set
    saved by Report.regression_set(). labels: the model's class names (a list,
    one per output; an entry may be a list of [name, synonyms...]), or a JSON
    file of one; by default ImageNet's when the model has 1,000 outputs, else
    the class numbers. preprocess: photo (path or bytes) → the input tensor;
    by default wasm_infer.vision's ImageNet preprocessing at the input's size.
    progress: callable(done, total), or True/False for the line on stderr
    (default: shown when stderr is a terminal outside Pyodide).

    Photos that cannot be read or run are skipped and listed in
    report.skipped; a label that matches no class, an empty dataset or a model
    whose output is not a class score vector raise InputError."""
    if not isinstance(top_k, int) or top_k < 1:
        raise InputError(f"top_k: expected a positive integer, got {top_k!r}")
    input_name, num_classes, default_pre = _inspect(session)
    preprocess = preprocess or default_pre
    items, meta = dataset.load(images)
    if num_classes is None and labels is None:
        raise InputError("the model's output does not say how many classes it has: pass labels=[...]")
    classes = labels_mod.load_labels(labels, num_classes)
    match = labels_mod.Matcher(classes).resolve([it.label for it in items])
    report_progress = reporter(progress)
    records, skipped = [], []
    for done, item in enumerate(items, 1):
        try:
            x = preprocess(item.source)
        except Exception as e:      # any decoder failure of any file: skip and report it, never stop
            skipped.append(_skip(item, "unreadable image", e))
        else:
            try:
                t0 = time.perf_counter()
                (y,) = session.run(None, {input_name: x})[:1]
                ms = (time.perf_counter() - t0) * 1e3
                records.append({"name": item.name, "label": str(item.label), "true": match[item.label],
                                "top": _top(_scores(y, len(classes)), top_k), "latency_ms": round(ms, 3)})
            except InputError as e:
                if done == 1 or not records:    # the model refuses even the first photo: no use going on
                    raise
                skipped.append(_skip(item, "the model refused the input", e))
            except WasmInferError as e:
                skipped.append(_skip(item, "the run failed", e))
        if report_progress:
            report_progress(done, len(items))
    if not records:
        reasons = "; ".join(f"{s['name']}: {s['reason']}" for s in skipped[:5])
        raise InputError(f"none of the {len(items)} photos could be evaluated ({reasons})")
    return Report(records, skipped, classes, top_k, items={it.name: it for it in items},
                  source=str(images) if not isinstance(images, (list, tuple)) else f"{len(items)} photos",
                  regression_source=meta.get("regression_set", {}).get("source"))


def _skip(item, what, e):
    return {"name": item.name, "label": str(item.label), "reason": f"{what}: {type(e).__name__}: {e}"}


def _inspect(session):
    """→ (input name, number of classes or None, default preprocess)."""
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1:
        raise InputError(f"evaluate needs a model with one image input; this one has {len(inputs)}: "
                         f"{', '.join(i.name for i in inputs)}")
    shape = list(outputs[0].shape or [])
    if len(shape) not in (1, 2) or (len(shape) == 2 and isinstance(shape[0], int) and shape[0] != 1):
        raise InputError(f"the model's output {outputs[0].name!r} has shape {shape}: not a class score vector "
                         "([1, classes] or [classes]), so it is not a classifier evaluate can score")
    num_classes = shape[-1] if isinstance(shape[-1], int) else None
    ishape = list(inputs[0].shape or [])
    size = ishape[2] if len(ishape) == 4 and isinstance(ishape[2], int) and ishape[2] == ishape[3] else 224

    def default_pre(src):
        from ..vision import imagenet_preprocess
        return imagenet_preprocess(src, resize=round(size * 256 / 224), crop=size)
    return inputs[0].name, num_classes, default_pre


def _scores(y, num_classes):
    y = np.asarray(y)
    if y.size != num_classes:
        raise InputError(f"the model returned {y.shape} for one photo: not a vector of {num_classes} class scores")
    return y.reshape(-1).astype(np.float64)


def _top(scores, k):
    """[[class, probability]] of the k best: softmax of logits, unless the
    outputs already are probabilities (non-negative, summing to 1)."""
    if scores.min() >= 0 and abs(scores.sum() - 1) < 1e-3:
        p = scores
    else:
        p = np.exp(scores - scores.max())
        p /= p.sum()
    best = np.argsort(-p, kind="stable")[:k]
    return [[int(i), round(float(p[i]), 6)] for i in best]
