"""ONNX backend node tests (onnx.backend.test.case.node) against wasm_infer.

    python3 build.py conformance [--json] [--filter SUBSTRING] [--native-only | --pyodide-only]
                                 [--no-variant] [--no-peers] [--verbose] [--write-xfail]
    python -m tools.conformance ...      (same, without the build steps)

Runs every case natively (NumPy backend) and inside Pyodide in Node (wasm
kernels on), each twice in one session: the first run records and builds
the memory plan, the second runs through it (tools/conformance_compare.py
run_case); both are compared with the expected outputs like the ONNX backend
runner, and counted apart. Runs are strict (WASM_INFER_PLAN=strict): a plan
that fails to build fails its case.

The *kernel variant* (`variant`) turns a case's weights into initializers, so
the graph passes and the kernels they pick (packed GEMM, NHWC conv,
Winograd, ...) run on the official data; it runs both ways on both backends.
Inside Pyodide every kernel call is counted, per case.

The peers, measured in the same run unless --no-peers: onnx.reference's
ReferenceEvaluator and onnxruntime natively, onnxruntime-web in Node
(tools/conformance_peers.py). Writes docs/CONFORMANCE.md
(tools/conformance_report.py) after a full run. With --json it prints only
the counts (see `counts`).

The host turns each case into a *portable case* (model bytes, inputs and
expected outputs in wasm_infer's own representation: numpy arrays, lists for
sequences, None for empty optionals, exotic dtypes as in wasm_infer.dtypes),
so Pyodide needs neither onnx nor ml_dtypes: the cases are pickled to
build/conformance/ and replayed there by tools/conformance_pyodide.mjs.
"""
import argparse
import json
import os
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
XFAIL_FILE = ROOT / "tests" / "conformance_xfail.py"
TOTAL = 1884          # cases from collect_testcases(None) with onnx 1.23
STALL_SECONDS = 120   # a streamed case taking longer than this is killed and counted as failed

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


def as_array(v):
    """A data-set value as numpy (TensorProto decoded; ml_dtypes kept), lists and None as they are."""
    from onnx import TensorProto, numpy_helper
    if isinstance(v, list):
        return [as_array(x) for x in v]
    if v is None:
        return None
    if isinstance(v, TensorProto):
        v = numpy_helper.to_array(v)
    v = np.asarray(v)
    return v.astype(object) if v.dtype.kind in "US" else v   # onnx writes strings as numpy str arrays sometimes


def portable_value(v):
    from wasm_infer import dtypes
    v = as_array(v)
    if isinstance(v, list):
        return [portable_value(x) for x in v]
    return None if v is None else dtypes.from_ml_dtypes(v)


def portable(case, model=None, inputs=None):
    """A case as plain data wasm_infer can run anywhere (optionally with
    another model and the inputs of its one data set: the variant)."""
    model = case.model if model is None else model
    data_sets = case.data_sets if inputs is None else [(inputs, case.data_sets[0][1])]
    return {"name": case.name, "model": model.SerializeToString(), "rtol": case.rtol, "atol": case.atol,
            "data_sets": [([portable_value(x) for x in ins], [portable_value(x) for x in outs])
                          for ins, outs in data_sets]}


def portable_cases(name_filter=None):
    return [portable(c) for c in load_cases(name_filter)]


def variant(case):
    """The kernel variant of a case, or None when the rule changes nothing.

    Rule: every graph input after the first whose value is a tensor becomes
    an initializer holding the case's value. The first input stays a graph
    input, so the graph still computes at run time rather than folding away
    at load; a tensor's value does not depend on whether it is fed or stored,
    so the expected outputs stay right, and only what the runtime may do
    ahead of time changes: pack weights, fold constants, fuse, pick kernels.
    Sequence and optional inputs stay inputs (an initializer is a tensor).
    Models older than IR 4 keep the inputs listed too, as IR 3 requires of
    initializers (a listed initializer is a constant for wasm_infer)."""
    from onnx import ModelProto, numpy_helper
    if len(case.data_sets) != 1:
        return None          # values that differ between data sets are no constants (no node case has several)
    ins = case.data_sets[0][0]
    if len(ins) != len(case.model.graph.input):
        return None
    model = ModelProto()
    model.CopyFrom(case.model)
    graph = model.graph
    keep, moved = [], []
    for i, (info, value) in enumerate(zip(graph.input, ins)):
        value = as_array(value)
        if i == 0 or info.type.WhichOneof("value") != "tensor_type" or not isinstance(value, np.ndarray):
            keep.append((info, value))
            continue
        tensor = numpy_helper.from_array(value, info.name)
        if tensor.data_type != info.type.tensor_type.elem_type:
            keep.append((info, value))   # the case feeds another type than it declares: leave it be
            continue
        moved.append((info, tensor))
    if not moved:
        return None
    graph.initializer.extend(t for _, t in moved)
    if model.ir_version >= 4:
        del graph.input[:]
        graph.input.extend(info for info, _ in keep)
    return portable(case, model, [v for _, v in keep])


def load_portable(name_filter=None, with_variant=True, cases=None):
    """(base cases, variant cases) as portable cases (of `cases`, default
    load_cases(name_filter)); the variant list only has the cases the rule changes."""
    base, var = [], []
    for c in load_cases(name_filter) if cases is None else cases:
        base.append(portable(c))
        v = variant(c) if with_variant else None
        if v is not None:
            var.append(v)
    return base, var


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

# Always in the slice's kernel-variant part: cases whose variant reaches a kernel in
# Pyodide (packed and unpacked GEMM, NHWC depthwise conv, clamp, binary elementwise).
SLICE_VARIANT_ALWAYS = ("test_gemm_default_single_elem_vector_bias", "test_gemm_transposeA", "test_gemm_transposeB",
                        "test_matmul_2d", "test_basic_conv_with_padding", "test_conv_with_strides_and_asymmetric_padding",
                        "test_clip_splitbounds", "test_add_bcast")


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


def write_slice(path, xfail, xfail_variant=None):
    """build/conformance/slice.pkl for tests/node/conformance.test.mjs: the
    slice's portable cases, then the kernel variants of the slice's cases and
    of SLICE_VARIANT_ALWAYS, each with "variant" (bool) and its expected
    Pyodide failure "xfail" (or None). xfail_variant defaults to
    tests/conformance_xfail.py PYODIDE_VARIANT."""
    if xfail_variant is None:
        known = {}
        exec(compile(XFAIL_FILE.read_text(), str(XFAIL_FILE), "exec"), known)  # our own generated file
        xfail_variant = known.get("PYODIDE_VARIANT", {})
    base, var = load_portable()
    cases = select_slice(base)
    wanted = {c["name"] for c in cases} | set(SLICE_VARIANT_ALWAYS)
    variants = [v for v in var if v["name"] in wanted and v["name"] not in EXCLUDED]
    for c in cases:
        c["variant"], c["xfail"] = False, xfail.get(c["name"])
    for v in variants:
        v["variant"], v["xfail"] = True, xfail_variant.get(v["name"])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(cases + variants, f, protocol=4)
    return len(cases), len(variants)


# ---- running -------------------------------------------------------------------

def run_native(cases):
    """name -> run_case result (tools/conformance_compare.py); excluded cases are skipped."""
    from tools.conformance_compare import run_case
    results = {}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for case in cases:
            if case["name"] not in EXCLUDED:
                results[case["name"]] = run_case(case, backend="numpy")
    return results


RUNTIME = {}  # wasm_infer.runtime_info() inside Pyodide, filled by run_pyodide


def stream(argv_from, todo, on_line, stall=STALL_SECONDS):
    """Run `argv_from(start)`, a process that answers one JSON line per case
    of `todo` from index start on ({"i": index, ...}); `on_line` gets every
    line. A case that kills or hangs the process gets None and the run
    resumes after it in a fresh process. Returns {index: exit code} of the
    cases that stopped a process."""
    start, stopped, silent = 0, {}, 0
    while start < len(todo):
        proc = subprocess.Popen(argv_from(start), cwd=ROOT, stdout=subprocess.PIPE, text=True)
        last, answered = time.monotonic(), False
        while True:
            ready, _, _ = select.select([proc.stdout], [], [], 5)
            if ready:
                line = proc.stdout.readline()
                if not line:
                    break
                if line.startswith("{"):
                    r = json.loads(line)
                    on_line(r)
                    if "i" in r:
                        start, last, answered = r["i"] + 1, time.monotonic(), True
            elif time.monotonic() - last > stall:
                proc.kill()
                break
        proc.wait()
        silent = 0 if answered else silent + 1
        if silent >= 2:   # two processes in a row died before any case: setup is broken, not a case
            raise RuntimeError(f"{argv_from(start)} exits {proc.returncode} before answering (see its stderr)")
        if start < len(todo):
            stopped[start] = proc.returncode
            start += 1
    return stopped


def run_pyodide(cases, node="node", label="cases"):
    """Replay the cases inside Pyodide (tools/conformance_pyodide.mjs) twice
    each; name -> run_case result, with "kernels" counted."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    todo = [c for c in cases if c["name"] not in EXCLUDED]
    path = OUT_DIR / f"{label}.pkl"
    with open(path, "wb") as f:
        pickle.dump(todo, f, protocol=4)
    results = {}

    def on_line(r):
        if "runtime" in r:
            RUNTIME.update(r["runtime"])
        else:
            results[r["name"]] = {k: r[k] for k in ("first", "planned", "plan", "kernels")}

    script = str(ROOT / "tools" / "conformance_pyodide.mjs")
    stopped = stream(lambda start: [node, script, str(path), str(start)], todo, on_line)
    for i, code in stopped.items():
        why = f"Pyodide stopped on this case (exit {code}, or no answer within {STALL_SECONDS} s)"
        results[todo[i]["name"]] = {"first": why, "planned": why, "plan": False, "kernels": {}}
    return results


# ---- counting ------------------------------------------------------------------

def summary(results, total=TOTAL, kernels=False):
    """Counts of one backend and path: passed (first run), planned_passed
    (second run), plans (cases whose second run went through a memory plan),
    and with kernels: kernel_cases (cases that called at least one wasm
    kernel) and kernel_passed (those that also passed both runs)."""
    out = {"total": total,
           "passed": sum(1 for r in results.values() if r["first"] is None),
           "planned_passed": sum(1 for r in results.values() if r["planned"] is None),
           "plans": sum(1 for r in results.values() if r["plan"])}
    if kernels:
        called = [r for r in results.values() if r["kernels"]]
        out["kernel_cases"] = len(called)
        out["kernel_passed"] = sum(1 for r in called if r["first"] is None and r["planned"] is None)
    return out


def kernel_case_counts(results):
    """kernel name -> number of cases that called it."""
    counts = {}
    for r in results.values():
        for name in r["kernels"]:
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def counts(runs, peers, n_variant):
    """The --json object: per backend, per path, plus the peers measured."""
    out = {}
    for backend in ("native", "pyodide"):
        base, var = runs.get((backend, "base")), runs.get((backend, "variant"))
        if base is None:
            continue
        out[backend] = summary(base, kernels=backend == "pyodide")
        if var is not None:
            out[backend]["variant"] = summary(var, total=n_variant, kernels=backend == "pyodide")
    for key, res in peers.items():
        out[key] = {"total": TOTAL, "passed": sum(1 for r in res["results"].values() if r is None)}
    return out


def failures(results, path):
    """name -> reason of a path ("first" or "planned") that failed."""
    return {n: r[path] for n, r in results.items() if r[path] is not None}


def _one_line(reason, limit=300):
    text = " ".join(str(reason).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit] + " …"


# ---- command line ---------------------------------------------------------------

def main(argv=None, node="node"):
    from tools import conformance_report as report
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filter", help="only cases whose name contains this (no report is written)")
    parser.add_argument("--json", action="store_true", help="print only the pass counts as JSON")
    parser.add_argument("--verbose", action="store_true", help="print every failure")
    parser.add_argument("--no-variant", action="store_true", help="skip the kernel variant")
    parser.add_argument("--no-peers", action="store_true",
                        help="do not measure onnx.reference, onnxruntime and onnxruntime-web")
    parser.add_argument("--write-xfail", action="store_true",
                        help="rewrite tests/conformance_xfail.py from this run's failures")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--native-only", action="store_true")
    group.add_argument("--pyodide-only", action="store_true")
    args = parser.parse_args(argv)
    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    os.environ["WASM_INFER_PLAN"] = "strict"   # a plan that fails to build fails the case (Pyodide inherits it)
    t0 = time.perf_counter()
    originals = load_cases(args.filter)
    if args.filter is None and len(originals) != TOTAL:
        import onnx
        raise SystemExit(f"onnx {onnx.__version__} has {len(originals)} node test cases, tools/conformance.py "
                         f"TOTAL says {TOTAL}: update TOTAL and regenerate the xfail lists")
    base, var = load_portable(with_variant=not args.no_variant, cases=originals)
    timings = {"loading cases": time.perf_counter() - t0}
    backends = [b for b, off in (("native", args.pyodide_only), ("pyodide", args.native_only)) if not off]
    paths = [("base", base)] + ([] if args.no_variant else [("variant", var)])
    runs = {}
    for backend in backends:
        for path, cases in paths:
            t0 = time.perf_counter()
            runs[backend, path] = (run_native(cases) if backend == "native" else
                                   run_pyodide(cases, node, label=f"{path}"))
            took = timings[f"{backend} {path}"] = time.perf_counter() - t0
            s = summary(runs[backend, path], TOTAL if path == "base" else len(var), backend == "pyodide")
            say(f"{backend} {path}: {s['passed']} passed (first run), {s['planned_passed']} passed "
                f"(planned run) of {s['total']}" +
                (f"; {s['kernel_cases']} called wasm kernels" if "kernel_cases" in s else "") + f" ({took:.0f} s)")
    peers, cast_table = {}, None
    if not args.no_peers:
        from tools import conformance_peers
        for key, measure in conformance_peers.PEERS.items():
            t0 = time.perf_counter()
            peers[key] = measure(originals, node=node)
            timings[key] = time.perf_counter() - t0
            passed = sum(1 for r in peers[key]["results"].values() if r is None)
            say(f"{peers[key]['label']}: {passed} passed of {TOTAL} ({timings[key]:.0f} s)")
        cast_table = conformance_peers.cast_int_table()
    for (backend, path), res in runs.items():
        for run in ("first", "planned"):
            for name, reason in sorted(failures(res, run).items()):
                if args.verbose or not args.json:
                    say(f"FAIL [{backend} {path} {run}] {name}: {_one_line(reason, 300 if args.verbose else 160)}")
    if args.filter is None and len(runs) == 2 * len(paths) and len(paths) == 2:
        report.write_report(runs, peers, timings, RUNTIME, len(var), cast_table)
        say(f"wrote {report.REPORT.relative_to(ROOT)}")
    if args.write_xfail and args.filter is None:
        report.write_xfail(runs)
        say(f"wrote {report.XFAIL_FILE.relative_to(ROOT)}")
    if args.json:
        print(json.dumps(counts(runs, peers, len(var))))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
