"""Evaluate a classifier on labelled photos: accuracy, per-class precision and
recall, the confusion matrix, the hardest cases and latency, as a Report that
saves itself as HTML and JSON; compare two reports; keep the hard cases as a
regression set to re-run on the next model.

    report = wasm_infer.evaluate(session, "photos/")     # photos/<class name>/*.jpg
    report.save("report.html")                           # + report.json
    report.regression_set("hard.json")
    wasm_infer.compare(report, wasm_infer.evaluate(other_session, "hard.json"))
"""
from .compare import Comparison, compare
from .labels import imagenet_labels
from .report import Report
from .run import evaluate

__all__ = ["evaluate", "compare", "Report", "Comparison", "imagenet_labels"]
