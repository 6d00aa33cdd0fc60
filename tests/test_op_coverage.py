"""STYLE rule 1: every registered op is exercised by at least one ONNX
conformance case or named in a test under tests/."""
import re
from pathlib import Path

from tools import conformance
from wasm_infer.ops import load_all

TESTS = Path(__file__).resolve().parent


def _op_types(graph, out):
    for node in graph.node:
        out.add((node.domain if node.domain != "ai.onnx" else "", node.op_type))
        for attr in node.attribute:
            for g in [attr.g] if attr.HasField("g") else list(attr.graphs):
                _op_types(g, out)


def test_every_registered_op_is_tested():
    used = set()
    for case in conformance.load_cases():
        if case.name in conformance.EXCLUDED:
            continue  # not run: does not exercise anything
        _op_types(case.model.graph, used)
        for fn in case.model.functions:
            for node in fn.node:
                used.add((node.domain, node.op_type))
    text = "\n".join(p.read_text() for p in TESTS.rglob("*") if p.suffix in (".py", ".mjs") and p.is_file())
    named = set(re.findall(r"[\"']([A-Z][A-Za-z0-9]+)[\"']", text))
    missing = sorted(f"{d or 'ai.onnx'}:{op}" for (d, op) in load_all()
                     if (d, op) not in used and op not in named)
    assert not missing, f"registered ops with no conformance case and no test: {missing}"
