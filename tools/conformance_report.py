"""docs/CONFORMANCE.md and tests/conformance_xfail.py from one run of
tools/conformance.py. Every figure in the report is measured by that run;
the date and the machine's run times are the run's own."""
import datetime

from tools.build_kernels import symbol_table
from tools.conformance import EXCLUDED, ROOT, TOTAL, XFAIL_FILE, _one_line, failures, kernel_case_counts, summary

REPORT = ROOT / "docs" / "CONFORMANCE.md"

# Why known failures fail, for the report (the measured reason is printed too).
CAUSES = {
    "test_image_decoder_decode_jpeg2k_rgb": "Pyodide 0.27.7's Pillow is built without a JPEG 2000 decoder.",
    "test_image_decoder_decode_jpeg_rgb": "Pyodide's Pillow decodes JPEG with another libjpeg build than the "
                                          "host's Pillow (its IDCT and chroma upsampling differ); matching needs our own decoder.",
}
CAUSES["test_image_decoder_decode_jpeg_bgr"] = CAUSES["test_image_decoder_decode_jpeg_rgb"]
CAUSES["test_image_decoder_decode_jpeg_grayscale"] = CAUSES["test_image_decoder_decode_jpeg_rgb"]

LABELS = {"native": "wasm_infer, native (NumPy backend)", "pyodide": "wasm_infer, Pyodide {} in Node (wasm kernels)"}


def _pct(n, total):
    return f"**{n:,}** ({n / total:.1%})" if total else "0"


def write_report(runs, peers, timings, runtime, n_variant, cast_table=None, path=REPORT):
    """runs: {(backend, "base" | "variant"): {name: run_case result}};
    peers: conformance_peers results; cast_table: conformance_peers.cast_int_table()."""
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    lines = ["# ONNX conformance", "",
             f"Generated on {today} by `python3 build.py conformance` (tools/conformance.py): every figure below",
             "was measured by that run. The cases are the ONNX backend node tests of the installed onnx package",
             f"(`collect_testcases(None)`, {TOTAL:,} cases). A case passes when every data set matches in output",
             "count, shape, dtype and value (`assert_allclose` with the case's rtol/atol, NaN == NaN, strings",
             "exactly), as in the ONNX backend runner.", "",
             "## wasm_infer", "",
             "Each case runs twice in one session: the *first run* records the shapes and builds the memory",
             "plan, the *planned run* goes through that plan (arena and bound kernels) when one was built. Both",
             "are compared with the expected outputs. Runs are strict (`WASM_INFER_PLAN=strict`): a plan that",
             "fails to build fails the case. *Plans* counts the cases whose planned run went through a memory",
             "plan (the others have nothing a plan can bind and rerun the slow path). *Kernel cases* counts the",
             "cases that called at least one wasm kernel, over both runs (every kernel call is counted).", "",
             "| runtime | cases | first run | planned run | plans | kernel cases (passed) |",
             "|---|---|---|---|---|---|"]
    for path_name, what in (("base", "as published"), ("variant", "weights as initializers")):
        for backend in ("native", "pyodide"):
            res = runs.get((backend, path_name))
            if res is None:
                continue
            s = summary(res, TOTAL if path_name == "base" else n_variant, kernels=backend == "pyodide")
            kernels = f"{s['kernel_cases']:,} ({s['kernel_passed']:,})" if "kernel_cases" in s else "—"
            label = LABELS[backend].format(runtime.get("pyodide", "?"))
            lines.append(f"| {label}, {what} | {s['total']:,} | {_pct(s['passed'], s['total'])} | "
                         f"{_pct(s['planned_passed'], s['total'])} | {s['plans']:,} | {kernels} |")
    lines += ["", "The excluded cases (below) count as not passed."]
    if runtime:
        lines += ["", f"Pyodide run: Pyodide {runtime.get('pyodide')}, Python {runtime.get('python')}, "
                      f"numpy {runtime.get('numpy')}, kernels `{runtime.get('kernels')}`."]
    lines += ["", "### Weights as initializers (the kernel variant)", "",
              "The published cases pass every tensor as a graph input, so no weight is known when the session",
              "is made: nothing is packed, folded or fused, and the kernels the graph passes pick (packed GEMM,",
              "NHWC conv, Winograd, pooling, softmax, elementwise) rarely run. The variant (`variant` in",
              "tools/conformance.py) makes every graph input after the first an initializer holding the case's",
              "value, when that input is a tensor; the first stays an input so the graph still computes at run",
              "time. A value does not change by being stored instead of fed, so the expected outputs stay",
              f"right. {n_variant:,} cases have such inputs; the others are the same as published and are not",
              "run twice."]
    kernel_rows, never = _kernel_rows(runs)
    if kernel_rows:
        lines += ["", "Cases that called each wasm kernel in Pyodide (either run):", "",
                  f"| kernel | cases as published (of {TOTAL:,}) | with weights as initializers (of {n_variant:,}) |",
                  "|---|---|---|"]
        lines += kernel_rows
        lines += ["", "No case called:", ""] + [f"- `{n}`" + (f": {NEVER_WHY[n]}" if n in NEVER_WHY else "") for n in never]
    lines += _peer_section(peers)
    lines += _cast_section(cast_table)
    if timings:
        lines += ["", "Run time of each part on the machine that generated this file: " +
                  ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()) + "."]
    lines += ["", "## Excluded: cannot pass by construction", "",
              "Counted in the totals as not passed; not run.", ""]
    lines += [f"- `{name}`: {why}" for name, why in sorted(EXCLUDED.items())]
    for path_name, what in (("base", ""), ("variant", ", weights as initializers")):
        for backend in ("native", "pyodide"):
            res = runs.get((backend, path_name))
            if res is not None:
                lines += _failing(f"{'native' if backend == 'native' else 'Pyodide'}{what}", res)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


_CONV_WHY = "every Conv case of the suite has one input and one output channel, which the depthwise kernel serves"
_POOL_WHY = ("pooling runs on a kernel only inside an NHWC region, which starts at a Conv "
             "(wasm_infer/passes/to_nhwc.py), and no case has a pool after a Conv")
# Why a kernel may not be reached by the node test cases (shown only for kernels no case called).
NEVER_WHY = {"f32_igemm_4x8_minmax__wasmsimd": _CONV_WHY, "f32_conv2d_nhwc_3x3s1_minmax__wasmsimd_winograd2x2": _CONV_WHY,
             "f32_conv2d_nchw_minmax__wasmsimd": _CONV_WHY, "f32_dwconv2d_nchw_minmax__wasmsimd": _CONV_WHY,
             "f32_pool2d_nhwc__wasmsimd": _POOL_WHY, "f32_gavgpool_nhwc_minmax__wasmsimd": _POOL_WHY,
             "f32_softmax__wasmsimd": "no op binds it: Softmax computes with NumPy",
             "f32_vsilu__wasmsimd": "no op binds it", "f32_vexp__wasmsimd": "no op binds it: Exp computes with NumPy"}


def _kernel_rows(runs):
    """Table rows (kernel, cases as published, cases of the variant) and the kernels no case called."""
    base = kernel_case_counts(runs.get(("pyodide", "base"), {}))
    var = kernel_case_counts(runs.get(("pyodide", "variant"), {}))
    names = sorted(set(base) | set(var), key=lambda n: (-var.get(n, 0), -base.get(n, 0), n))
    # The table the build ships with the modules; the f32_peak_* kernels measure the machine for build.py bench.
    never = [n for n in symbol_table()["kernels"] if not n.startswith("f32_peak_") and n not in base and n not in var]
    return [f"| `{n}` | {base.get(n, 0):,} | {var.get(n, 0):,} |" for n in names], never


def _peer_section(peers):
    lines = ["", "## Other runtimes, same cases, same comparison", ""]
    if not peers:
        return lines + ["Not measured in this run (`--no-peers`)."]
    lines += ["Measured in the same run, one run per case, outputs compared exactly as above",
              "(tools/conformance_peers.py).", "", f"| runtime | passed of {TOTAL:,} | how it ran |", "|---|---|---|"]
    for res in peers.values():
        passed = sum(1 for r in res["results"].values() if r is None)
        lines.append(f"| {res['label']} | {_pct(passed, TOTAL)} | {res['how']} |")
    return lines


def _cast_section(table):
    lines = ["", "## Cast to INT4, UINT4, INT2, UINT2", "",
             "The ONNX spec leaves float → fixed-point casts undefined when the value is out of range, and",
             "onnx computes the expected outputs of these node tests when the cases are collected, with",
             "whichever `ml_dtypes` is installed, whose answer changed between releases (the lock pins",
             "ml_dtypes 0.6.0). wasm_infer defines the cast itself, so that it cannot drift with a release",
             "(`int_encode` in wasm_infer/lowp.py):", "",
             "- a float is truncated toward zero (as every C and NumPy float → int cast), then",
             "- the integer keeps its low 4 (2) bits, read as two's complement for INT4/INT2: the spec's rule",
             "  for out-of-range fixed → fixed casts (\"discard higher bits\"), e.g. -9 → 7 (INT4), 16 → 0,",
             "  -1 → 15 (UINT4); it holds for every finite float, however large;",
             "- NaN, +inf and -inf give 0;",
             "- integer sources keep their low bits the same way.", "",
             "This is what the pinned suite expects and, on integral inputs, what onnxruntime does.",
             "tests/test_cast_subbyte.py checks it against hand-derived values, without ml_dtypes."]
    if table:
        lines += ["", "Measured in this run (float32 in, INT4 out, read back as FLOAT; the same model in each runtime):",
                  "", "| x | " + " | ".join(table["runtimes"]) + " |", "|---" * (len(table["runtimes"]) + 1) + "|"]
        for x, row in zip(table["inputs"], table["rows"]):
            lines.append(f"| {x} | " + " | ".join(str(v) for v in row) + " |")
        differ = [x for x, row in zip(table["inputs"], table["rows"]) if len(set(map(str, row))) > 1]
        lines += ["", f"They differ at x = {', '.join(differ)}." if differ else "They agree on every input above."]
    lines += ["", "Quoted, not measured by this command: ml_dtypes 0.7.0 (observed on 2026-12-03 in a scratch",
              "environment outside the lock) truncates in range but maps every out-of-range value (and NaN,",
              "inf) to 0; with it, onnx's generator writes other expected outputs for these Cast and CastLike",
              "cases, and they no longer match wasm_infer (nor ml_dtypes 0.6.0)."]
    return lines


def _failing(label, res):
    first, planned = failures(res, "first"), failures(res, "planned")
    names = sorted(set(first) | set(planned))
    lines = ["", f"## Failing {label} ({len(names)})", ""]
    if not names:
        return lines + ["None."]
    for name in names:
        cause = f" — {CAUSES[name]}" if name in CAUSES else ""
        if first.get(name) == planned.get(name):
            lines.append(f"- `{name}` (both runs): {_one_line(first[name])}{cause}")
        else:
            runs = [f"{run} run: {_one_line(why)}" for run, why in (("first", first.get(name)),
                                                                       ("planned", planned.get(name))) if why]
            lines.append(f"- `{name}`: {'; '.join(runs)}{cause}")
    return lines


def write_xfail(runs, path=XFAIL_FILE):
    """tests/conformance_xfail.py: the expected failures per backend and path
    (a case is expected to fail when either of its runs fails; a backend
    that was not run keeps its previous lists)."""
    old = {}
    if path.exists():
        exec(compile(path.read_text(), str(path), "exec"), old)  # our own generated file
    lines = ['"""Known conformance failures: case name -> reason. Generated by',
             '`python -m tools.conformance --write-xfail` from a run; tests/test_conformance.py',
             '(NATIVE, NATIVE_VARIANT) and tests/node/conformance.test.mjs (PYODIDE, PYODIDE_VARIANT,',
             'for its slice) mark them as strict xfails. A case is listed when either of its two runs',
             'fails. *_VARIANT: the kernel variant (weights as initializers). Regenerate after fixing',
             'ops rather than editing by hand."""', ""]
    for backend in ("native", "pyodide"):
        for path_name, suffix in (("base", ""), ("variant", "_VARIANT")):
            label = backend.upper() + suffix
            res = runs.get((backend, path_name))
            if res is None:
                failing = old.get(label, {})
            else:
                failing = {**failures(res, "planned"), **failures(res, "first")}
            lines.append(f"{label} = {{")
            lines += [f"    {name!r}: {_one_line(reason, 200)!r}," for name, reason in sorted(failing.items())]
            lines.append("}")
            lines.append("")
    path.write_text("\n".join(lines))
