"""ONNX backend node tests (onnx.backend.test.case.node) against wasm_infer.

    python3 build.py conformance [--json] [--filter SUBSTRING] [--native-only | --pyodide-only]
    python -m tools.conformance ...      (same, without the build steps)

Runs every case natively (NumPy backend) and inside Pyodide in Node (wasm
kernels on), compares outputs like the ONNX backend runner
(tools/conformance_compare.py) and writes docs/CONFORMANCE.md. With --json
it prints only {"native": {"passed": N, "total": T}, "pyodide": {...}}.

The host turns each case into a *portable case* (model bytes, inputs and
expected outputs in wasm_infer's own representation: numpy arrays, lists for
sequences, None for empty optionals, exotic dtypes as in wasm_infer.dtypes),
so Pyodide needs neither onnx nor ml_dtypes: the cases are pickled to
build/conformance/cases.pkl and replayed there by tools/conformance_pyodide.mjs.
"""
import argparse
import json
import pickle
import select
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "build" / "conformance"
REPORT = ROOT / "docs" / "CONFORMANCE.md"
TOTAL = 1884          # cases from collect_testcases(None) with onnx 1.23
STALL_SECONDS = 120   # a Pyodide case taking longer than this is killed and counted as failed

# Cases that can never pass by construction: their expected outputs were drawn
# from a random generator (numpy's, inside onnx's test generator) that no other
# runtime reproduces. They count in the totals as not passed.
EXCLUDED = {
    # Bernoulli samples 0/1 from a random generator, even with a seed
    "test_bernoulli": "random output",
    "test_bernoulli_double": "random output",
    "test_bernoulli_seed": "random output (the seed is numpy's, not a portable generator)",
    "test_bernoulli_expanded": "random output (RandomUniformLike)",
    "test_bernoulli_double_expanded": "random output (RandomUniformLike)",
    "test_bernoulli_seed_expanded": "random output (RandomUniformLike)",
    # Training-mode Dropout is not here: its cases carry seed=0 and our mask
    # comes from NumPy's legacy RandomState(seed), whose stream NumPy keeps
    # stable across versions and platforms (and which the ONNX reference uses).
}


def load_cases(name_filter=None):
    """The onnx package's node test cases (all of them, excluded ones too)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from onnx.backend.test.case.node import collect_testcases
        cases = collect_testcases(None)
    return [c for c in cases if name_filter is None or name_filter in c.name]


def _portable_value(v):
    from onnx import TensorProto, numpy_helper

    from wasm_infer import dtypes
    if isinstance(v, list):
        return [_portable_value(x) for x in v]
    if v is None:
        return None
    if isinstance(v, TensorProto):
        v = numpy_helper.to_array(v)
    v = np.asarray(v)
    if v.dtype.kind in "US":          # onnx writes strings as numpy str arrays sometimes
        v = v.astype(object)
    return dtypes.from_ml_dtypes(v)


def portable(case):
    """A case as plain data wasm_infer can run anywhere."""
    return {"name": case.name, "model": case.model.SerializeToString(),
            "rtol": case.rtol, "atol": case.atol,
            "data_sets": [([_portable_value(x) for x in ins], [_portable_value(x) for x in outs])
                          for ins, outs in case.data_sets]}


def portable_cases(name_filter=None):
    return [portable(c) for c in load_cases(name_filter)]


def _op_types(graph, out):
    for node in graph.node:
        out.add(f"{node.domain or 'ai.onnx'}:{node.op_type}")
        for attr in node.attribute:
            for g in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                _op_types(g, out)
    return out


# Always in the Pyodide slice: control flow, sequences/optionals and every exotic dtype.
SLICE_ALWAYS = ("test_if", "test_if_seq", "test_if_opt", "test_loop11", "test_loop13_seq",
                "test_loop16_seq_none", "test_scan_sum", "test_scan9_sum", "test_sequence_map_add_2_sequences",
                "test_optional_get_element_sequence", "test_optional_has_element_empty_optional_input",
                "test_identity_sequence", "test_split_to_sequence_1", "test_sequence_insert_at_back",
                "test_cast_FLOAT_to_BFLOAT16", "test_cast_BFLOAT16_to_FLOAT", "test_cast_FLOAT_to_FLOAT8E4M3FN",
                "test_cast_no_saturate_FLOAT_to_FLOAT8E5M2", "test_cast_FLOAT8E5M2FNUZ_to_FLOAT16",
                "test_cast_FLOAT_to_INT4", "test_cast_UINT4_to_FLOAT", "test_cast_FLOAT_to_FLOAT4E2M1",
                "test_cast_INT2_to_INT8", "test_cast_e8m0_FLOAT_to_FLOAT8E8M0", "test_castlike_FLOAT_to_STRING",
                "test_dequantizelinear_e4m3fn", "test_quantizelinear_int4")


def select_slice(cases):
    """A small set of cases covering every op type the suite uses (greedy set
    cover, smallest models first), plus SLICE_ALWAYS."""
    from onnx import load_from_string
    ops = {}
    for c in cases:
        if c["name"] not in EXCLUDED:
            model = load_from_string(c["model"])
            found = _op_types(model.graph, set())
            for fn in model.functions:
                found.update(f"{n.domain or 'ai.onnx'}:{n.op_type}" for n in fn.node)
            ops[c["name"]] = found
    chosen = [n for n in SLICE_ALWAYS if n in ops]
    covered = set().union(*(ops[n] for n in chosen)) if chosen else set()
    size = {c["name"]: len(c["model"]) for c in cases}
    while True:
        best = max(ops, key=lambda n: (len(ops[n] - covered), -size[n]))
        if not ops[best] - covered:
            break
        chosen.append(best)
        covered |= ops[best]
    by_name = {c["name"]: c for c in cases}
    return [by_name[n] for n in chosen]


def write_slice(path, xfail):
    """build/conformance/slice.pkl for tests/node/conformance.test.mjs: the
    slice's portable cases, each with its expected Pyodide failure (or None)."""
    cases = select_slice(portable_cases())
    for c in cases:
        c["xfail"] = xfail.get(c["name"])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(cases, f, protocol=4)
    return len(cases)


def run_native(cases):
    """name -> failure reason (None when it passed); excluded cases are skipped."""
    from tools.conformance_compare import run_case
    results = {}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for case in cases:
            if case["name"] not in EXCLUDED:
                results[case["name"]] = run_case(case, backend="numpy")
    return results


RUNTIME = {}  # wasm_infer.runtime_info() inside Pyodide, filled by run_pyodide


def run_pyodide(cases, node="node", log=None):
    """Replay the cases inside Pyodide (tools/conformance_pyodide.mjs streams
    one JSON line per case). A case that kills or hangs the interpreter is
    recorded as failed and the run resumes after it in a fresh interpreter."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    todo = [c for c in cases if c["name"] not in EXCLUDED]
    path = OUT_DIR / "cases.pkl"
    with open(path, "wb") as f:
        pickle.dump(todo, f, protocol=4)
    results, start = {}, 0
    while start < len(todo):
        proc = subprocess.Popen([node, str(ROOT / "tools" / "conformance_pyodide.mjs"), str(path), str(start)],
                                cwd=ROOT, stdout=subprocess.PIPE, text=True)
        last = time.monotonic()
        while True:
            ready, _, _ = select.select([proc.stdout], [], [], 5)
            if ready:
                line = proc.stdout.readline()
                if not line:
                    break
                if line.startswith('{"runtime"'):
                    RUNTIME.update(json.loads(line)["runtime"])
                elif line.startswith("{"):
                    r = json.loads(line)
                    results[r["name"]] = r["reason"]
                    start = r["i"] + 1
                    last = time.monotonic()
                    if log:
                        log(r)
            elif time.monotonic() - last > STALL_SECONDS:
                proc.kill()
                break
        proc.wait()
        if start < len(todo) and todo[start]["name"] not in results:
            stuck = todo[start]["name"]
            results[stuck] = (f"Pyodide stopped on this case (exit {proc.returncode}, "
                              f"or no answer within {STALL_SECONDS} s)")
            start += 1
    return results


def summary(results):
    return {"passed": sum(1 for r in results.values() if r is None), "total": TOTAL}


# Why known failures fail, for the report (the measured reason is printed too).
CAUSES = {
    "test_image_decoder_decode_jpeg2k_rgb": "Pyodide 0.27.7's Pillow is built without a JPEG 2000 decoder.",
    "test_image_decoder_decode_jpeg_rgb": "Pyodide's Pillow decodes JPEG with another libjpeg build than the "
                                          "host's Pillow (its IDCT and chroma upsampling differ); matching needs our own decoder.",
}
CAUSES["test_image_decoder_decode_jpeg_bgr"] = CAUSES["test_image_decoder_decode_jpeg_rgb"]
CAUSES["test_image_decoder_decode_jpeg_grayscale"] = CAUSES["test_image_decoder_decode_jpeg_rgb"]


def write_report(native, pyodide, timings, path=REPORT):
    """docs/CONFORMANCE.md from the results of both backends."""
    lines = ["# ONNX conformance", "",
             "Generated by `python3 build.py conformance` (tools/conformance.py) from the ONNX backend node",
             "tests of the installed onnx package (`collect_testcases(None)`, 1,884 cases). A case passes when",
             "every data set matches in output count, shape, dtype and value (`assert_allclose` with the case's",
             "rtol/atol, NaN == NaN, strings exactly), as in the ONNX backend runner.", "",
             "| runtime | passed of 1,884 |", "|---|---|"]
    for label, res in (("wasm_infer, native (NumPy backend)", native), ("wasm_infer, Pyodide 0.27.7 in Node (wasm kernels)", pyodide)):
        if res is not None:
            lines.append(f"| {label} | **{summary(res)['passed']:,}** ({summary(res)['passed'] / TOTAL:.1%}) |")
    lines += ["| onnx.reference.ReferenceEvaluator (anchor) | 1,870 (99.3%) |",
              "| onnxruntime 1.32.0 native CPU (anchor) | 1,740 (92.4%) |",
              "| onnxruntime-web 1.30.0 wasm in Node (anchor) | 1,257 (66.7%) |", ""]
    if RUNTIME:
        lines += [f"Pyodide run: Python {RUNTIME.get('python')}, numpy {RUNTIME.get('numpy')}, "
                  f"kernels `{RUNTIME.get('kernels')}`.", ""]
    if timings:
        lines += ["Run time on the machine that generated this file: " +
                  ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()) + ".", ""]
    lines += ["## Excluded: cannot pass by construction", "",
              "Counted in the totals as not passed; not run.", ""]
    lines += [f"- `{name}`: {why}" for name, why in sorted(EXCLUDED.items())] + [""]
    for label, res in (("native", native), ("Pyodide", pyodide)):
        if res is None:
            continue
        failing = {n: r for n, r in res.items() if r is not None}
        lines += [f"## Failing {label} ({len(failing)})", ""]
        if not failing:
            lines += ["None.", ""]
        for name, reason in sorted(failing.items()):
            cause = f" — {CAUSES[name]}" if name in CAUSES else ""
            lines.append(f"- `{name}`: {_one_line(reason)}{cause}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


XFAIL_FILE = ROOT / "tests" / "conformance_xfail.py"


def write_xfail(native, pyodide, path=XFAIL_FILE):
    """tests/conformance_xfail.py: the expected failures per backend (a
    backend that was not run keeps its previous list)."""
    old = {}
    if path.exists():
        exec(compile(path.read_text(), str(path), "exec"), old)  # our own generated file
    lines = ['"""Known conformance failures: case name -> reason. Generated by',
             '`python -m tools.conformance --write-xfail` from a run; tests/test_conformance.py',
             '(NATIVE) and tests/node/conformance.test.mjs (PYODIDE, for its slice) mark them as',
             'strict xfails. Regenerate after fixing ops rather than editing by hand."""', ""]
    for label, res in (("NATIVE", native), ("PYODIDE", pyodide)):
        failing = old.get(label, {}) if res is None else {n: r for n, r in res.items() if r is not None}
        lines.append(f"{label} = {{")
        lines += [f"    {name!r}: {_one_line(reason, 200)!r}," for name, reason in sorted(failing.items())]
        lines.append("}")
        lines.append("")
    path.write_text("\n".join(lines))


def _one_line(reason, limit=300):
    text = " ".join(str(reason).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit] + " …"


def main(argv=None, node="node"):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filter", help="only cases whose name contains this (no report is written)")
    parser.add_argument("--json", action="store_true", help="print only the pass counts as JSON")
    parser.add_argument("--verbose", action="store_true", help="print every failure")
    parser.add_argument("--write-xfail", action="store_true",
                        help="rewrite tests/conformance_xfail.py from this run's failures")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--native-only", action="store_true")
    group.add_argument("--pyodide-only", action="store_true")
    args = parser.parse_args(argv)
    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    t0 = time.perf_counter()
    cases = portable_cases(args.filter)
    timings = {"loading cases": time.perf_counter() - t0}
    native = pyodide = None
    if not args.pyodide_only:
        t0 = time.perf_counter()
        native = run_native(cases)
        timings["native"] = time.perf_counter() - t0
        say(f"native: {summary(native)['passed']} passed of {TOTAL} ({timings['native']:.0f} s)")
    if not args.native_only:
        t0 = time.perf_counter()
        pyodide = run_pyodide(cases, node)
        timings["pyodide"] = time.perf_counter() - t0
        say(f"pyodide: {summary(pyodide)['passed']} passed of {TOTAL} ({timings['pyodide']:.0f} s)")
    for label, res in (("native", native), ("pyodide", pyodide)):
        for name, reason in sorted((res or {}).items()):
            if reason is not None and (args.verbose or not args.json):
                say(f"FAIL [{label}] {name}: {_one_line(reason, 300 if args.verbose else 160)}")
    if args.filter is None and native is not None and pyodide is not None:
        write_report(native, pyodide, timings)
        say(f"wrote {REPORT.relative_to(ROOT)}")
    if args.write_xfail and args.filter is None:
        write_xfail(native, pyodide)
        say(f"wrote {XFAIL_FILE.relative_to(ROOT)}")
    if args.json:
        out = {k: summary(v) for k, v in (("native", native), ("pyodide", pyodide)) if v is not None}
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
