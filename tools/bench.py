"""`python3 build.py bench`: wasm_infer against onnxruntime-web, same run, same machine.

In one run, first in Node and then in headless Chromium (one after the other,
never at the same time), each runtime boots Pyodide 0.27.7 with numpy and the
wasm_infer wheel and loads onnxruntime-web 1.30.0 (wasm backend, 1 thread,
SIMD) beside it, then (tools/bench_page/bench_core.mjs):

  * models: EfficientNet-Lite0 (pretrained), MobileNetV2 and ResNet-18 with
    random weights (tools/synthetic_models.py); the same model bytes and the
    same seeded input for both; 5 warm-up runs each, then N timed runs each,
    interleaved ours/peer; p50/p90, ratio ours/peer (p50) and the max abs
    difference between the two outputs;
  * op breakdown: one model's time per op type inside Pyodide
    (InferenceSession.profile_run; EfficientNet-Lite0 unless --breakdown);
  * GEMM micro-benchmarks inside Pyodide (tools/bench_pyodide.py): GFLOPS of
    the kernels' public GEMM wrapper at M=N=K in 64..1024 and at the 1x1-conv
    shapes of EfficientNet-Lite0 (read from the model file), against the
    SIMD128 peak measured in the same run by
    kernels_wasm/f32_peak_mul_add_12acc__wasmsimd.c (and the relaxed-SIMD FMA
    peak when the module has one).

With --zoo, the models are the public zoo instead (tools/bench_zoo.py: its
configuration, its check against onnxruntime native and its tables).

Then, in Chromium only, the hot-swap benchmark (tools/bench_swap.mjs, issue 7):
requests flow continuously through the JS shim while rt.swap() replaces the
model several times, without and with a hot standby worker; p50/p99 in the
steady state and during the swaps (pooled), their ratio (target <= 1.25),
failed requests and sample counts (--no-swap skips it).

The page is served by tools/serve.py's handler (explicit MIME types,
COOP/COEP so timers are fine-grained) from 127.0.0.1 on a free port.
"""
import argparse
import http.server
import json
import os
import posixpath
import shutil
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
MODELS = {  # key -> file in build/models
    "efficientnet_lite0": "efficientnet_lite0.onnx",
    "mobilenetv2_random": "mobilenetv2_random.onnx",
    "resnet18_random": "resnet18_random.onnx",
    "mlp_head_if": "mlp_head_if.onnx",       # 64 small nodes and an If: per-node cost
}
BREAKDOWN_MODEL = "efficientnet_lite0"
ZOO = BUILD / "zoo"                # tools/zoo.py's output, served to the page at /zoo/ (bench --zoo)
GEMM_SIZES = (64, 128, 256, 512, 1024)
RUNTIMES = ("node", "chromium")
WARMUP = 5
SEED = 20261123


# ---- what to measure ---------------------------------------------------------

def conv1x1_shapes(model_path):
    """GEMM shapes (M = N*OH*OW output pixels, K = Cin, N = Cout) of the
    model's ungrouped 1x1 convolutions, with how many nodes share each shape.
    Output sizes come from one onnxruntime run with every Conv output exposed."""
    import numpy as np
    import onnx
    import onnxruntime
    model = onnx.load(str(model_path))
    graph = model.graph
    weights = {t.name: list(t.dims) for t in graph.initializer}
    convs = []
    for node in graph.node:
        if node.op_type != "Conv" or len(node.input) < 2 or node.input[1] not in weights:
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        w = weights[node.input[1]]
        if len(w) == 4 and w[2:] == [1, 1] and attrs.get("group", 1) == 1:
            convs.append((node, w))
    existing = {o.name for o in graph.output}
    for node, _ in convs:
        if node.output[0] not in existing:
            graph.output.append(onnx.helper.make_tensor_value_info(node.output[0], onnx.TensorProto.FLOAT, None))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    sess = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    shape = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
    outs = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {inp.name: np.zeros(shape, np.float32)})))
    shapes = {}
    for node, w in convs:
        n, cout, oh, ow = outs[node.output[0]].shape
        key = (n * oh * ow, w[1], cout)
        entry = shapes.setdefault(key, {"m": key[0], "k": key[1], "n": key[2], "count": 0, "nodes": []})
        entry["count"] += 1
        entry["nodes"].append(node.name)
    return sorted(shapes.values(), key=lambda e: (-e["m"], e["k"], e["n"]))


def make_config(models, runs, wheel, breakdown=BREAKDOWN_MODEL, gemm=True, step_cost=True):
    """breakdown: the model whose per-op time is broken down (when it is run);
    gemm: run the GEMM micro-benchmarks; step_cost: measure the fixed cost of
    a planned step (tools/synthetic_models.py STEP_MODELS)."""
    from tools.synthetic_models import STEP_MODELS
    return {
        "models": [{"key": k, "file": MODELS[k], "ref": str(BUILD / "models" / MODELS[k])} for k in models],
        "warmup": WARMUP, "runs": runs, "seed": SEED,
        "breakdown": {"model": breakdown, "runs": 10} if breakdown in models else None,
        "gemm": {"sizes": list(GEMM_SIZES), "conv1x1": conv1x1_shapes(BUILD / "models" / MODELS[BREAKDOWN_MODEL]),
                 "min_batch_s": 0.002, "repeats": 30, "budget_s": 0.6} if gemm else None,
        "wheel": str(wheel), "wheel_name": wheel.name,
        "step_cost": {"runs": 300, "models": [
            {"key": name, "kind": name.split("_", 1)[1].rsplit("_", 1)[0], "n": int(name.rsplit("_", 1)[1]),
             "file": f"{name}.onnx", "ref": str(BUILD / "models" / f"{name}.onnx")}
            for name in STEP_MODELS]} if step_cost else None,
    }


# ---- running -------------------------------------------------------------------

def _load():
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _run_json(cmd, what):
    """Run a runner that prints one JSON object on stdout (progress on stderr)."""
    proc = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"the {what} benchmark failed (exit {proc.returncode}); see the messages above")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_node(node, config_path):
    return _run_json([*node, ROOT / "tools" / "bench_node.mjs", config_path], "Node")


def _handler(routes, fallback):
    """tools/serve.py's handler (MIME types, no-cache, COOP/COEP), serving URL
    prefixes from several folders: /pyodide/ -> build/pyodide, ..."""
    from tools import serve

    class BenchHandler(serve.SiteHandler):
        coi = True
        quiet = True

        def translate_path(self, path):
            rel = posixpath.normpath(urllib.parse.unquote(urllib.parse.urlsplit(path).path)).lstrip("/")
            first, _, rest = rel.partition("/")
            base, sub = (routes[first], rest) if first in routes else (fallback, rel)
            target = (base / sub).resolve() if sub else base.resolve()
            if target != base.resolve() and base.resolve() not in target.parents:
                return str(fallback / "__outside__")      # a 404, never a file outside the routes
            return str(target)

    return BenchHandler


def run_chromium(node, config, chromium):
    www = BUILD / "bench"
    www.mkdir(parents=True, exist_ok=True)
    (www / "config.json").write_text(json.dumps(config))
    routes = {"pyodide": BUILD / "pyodide", "ort": ROOT / "node_modules" / "onnxruntime-web" / "dist",
              "wheels": Path(config["wheel"]).parent, "models": BUILD / "models", "zoo": ZOO,
              "photos": BUILD / "bench" / "photos",
              "config.json": www / "config.json", "bench_pyodide.py": ROOT / "tools" / "bench_pyodide.py"}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(routes, ROOT / "tools" / "bench_page"))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        return _run_json([*node, ROOT / "tools" / "bench_chromium.mjs", url, chromium], "Chromium")
    finally:
        server.shutdown()
        server.server_close()


SWAP_MODES = ("cold", "standby")   # rt.swap() starting its worker / rt.prepareSwap()'s hot standby


def run_swap(node, wheel, chromium, mode):
    """tools/bench_swap.mjs --json in one mode -> its result (printed even when requests failed)."""
    cmd = [*node, ROOT / "tools" / "bench_swap.mjs", "--json", "--wheel", wheel]
    if mode == "standby":
        cmd.append("--standby")
    if chromium:
        cmd += ["--chromium", chromium]
    proc = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise RuntimeError(f"the hot-swap benchmark ({mode}) failed (exit {proc.returncode}); see the messages above")


def swap_summary(r):
    """bench_swap.mjs's result -> the --json "swap" entry of one mode."""
    keep = ("requests", "p50", "p99", "max")
    phase = lambda p: {k: p.get(k) for k in keep}
    return {
        "standby": r["standby"], "pace": r.get("pace"), "engine": r.get("engine"), "backend": r.get("backend"),
        "swaps": len(r["per_swap"]), "failed_requests": r["failures"], "errors": r.get("errors", []),
        "steady": phase(r["phases"]["steady"]), "during": phase(r["phases"]["during"]),
        "after": phase(r["phases"]["after"]),
        "ratio_p99_during_vs_steady": r["ratio_p99_during_vs_steady"],
        "ratio_p50_during_vs_steady": r["ratio_p50_during_vs_steady"],
        "target_ratio": r["target_ratio"], "pass": r["pass"],
        "per_swap": [{**phase(s), "swap_ms": s["ms"], "worker_ms": s.get("worker_ms"), "load_ms": s.get("load_ms"),
                      "warmup_ms": s.get("warmup_ms"), "paused_ms": s.get("paused_ms")} for s in r["per_swap"]],
        "during_by_step": {k: phase(v) for k, v in r.get("during_by_step", {}).items()},
        "load_avg_1m": r.get("load_avg_1m"),
    }


def format_swap(swap):
    lines = ["", "Hot swap (tools/bench_swap.mjs, Chromium, EfficientNet-Lite0): requests one after another through "
             "the JS shim while rt.swap() replaces the model; 'during' pools the requests of all swaps; "
             "target: p99 during / steady p99 <= 1.25, no failed request",
             f"{'mode':<9} {'swaps':>5} {'steady n':>8} {'p50':>6} {'p99':>6} {'during n':>8} {'p50':>6} {'p99':>6} "
             f"{'p99 ratio':>9} {'p50 ratio':>9} {'failed':>6}  load avg"]
    for mode, s in swap.items():
        st, du, load = s["steady"], s["during"], s.get("load_avg_1m") or {}
        lines.append(f"{mode:<9} {s['swaps']:>5} {st['requests']:>8} {_f(st['p50']):>6} {_f(st['p99']):>6} "
                     f"{du['requests']:>8} {_f(du['p50']):>6} {_f(du['p99']):>6} "
                     f"{_f(s['ratio_p99_during_vs_steady'], '{:.2f}'):>9} {_f(s['ratio_p50_during_vs_steady'], '{:.2f}'):>9} "
                     f"{s['failed_requests']:>6}  {_f(load.get('start'), '{:.2f}')} -> {_f(load.get('end'), '{:.2f}')}"
                     + ("" if s["pass"] else "  (target not met)"))
        per = ", ".join(f"{p['requests']} req p99 {_f(p['p99'])} in {p['swap_ms'] / 1000:.1f} s" for p in s["per_swap"])
        lines.append(f"{'':<9} per swap: {per}")
    pace = next((s.get("pace") for s in swap.values() if s.get("pace")), None)
    paced = f"paced {pace['workMs']} ms work / {pace['sleepMs']} ms sleep" if pace else "unpaced"
    lines.append("(cold: each swap starts its worker — Pyodide, numpy, wasm_infer — then loads and warms the model; "
                 "standby: rt.prepareSwap() booted it while no requests flowed, the swap loads and warms only; "
                 f"the new worker {paced} (swap()'s default); steady: windows before each swap; "
                 "ms per request as the page sees it)")
    return lines


def collect(per_runtime):
    """{runtime: runner result} -> the --json object."""
    out = {"models": {}, "gemm": {}, "op_breakdown": {}, "step_cost": {}}
    for rt, res in per_runtime.items():
        if res.get("step_cost"):
            out["step_cost"][rt] = res["step_cost"]
        for key, m in res["models"].items():
            out["models"].setdefault(key, {})[rt] = m
        gemm = dict(res["gemm"] or {})
        gemm["engine"] = res["runtime"].get("engine")
        gemm["load_avg_1m"] = res.get("load_avg_1m")
        out["gemm"][rt] = gemm
        if res.get("op_breakdown"):
            out["op_breakdown"][rt] = res["op_breakdown"]
        if res.get("zoo_breakdown"):
            out.setdefault("zoo_breakdown", {})[rt] = res["zoo_breakdown"]
        if res.get("pairs"):
            out.setdefault("pairs", {})[rt] = res["pairs"]
    return out


# ---- the report ----------------------------------------------------------------

def _f(x, fmt="{:.1f}"):
    return "-" if x is None else fmt.format(x)


def format_runtimes(per_runtime, rts):
    """One line per runtime: its engine, Pyodide, wasm_infer, onnxruntime-web and the load."""
    lines = []
    for rt in rts:
        r = per_runtime[rt]["runtime"]
        lines.append(f"{rt:<9} {r.get('engine')}; Pyodide {r['pyodide']} (Python {r['python']}, numpy {r['numpy']}), "
                     f"wasm_infer {r['wasm_infer']} kernels {r['kernels']}; onnxruntime-web {r['ort_web']} "
                     f"(wasm, {r['ort_web_threads']} thread); load average {per_runtime[rt].get('load_avg_1m')} "
                     f"on {os.cpu_count()} CPUs")
    return lines


def format_report(result, per_runtime, runs):
    rts = [rt for rt in RUNTIMES if rt in per_runtime]
    lines = format_runtimes(per_runtime, rts)
    lines += ["", f"Models: ms per inference, {WARMUP} warm-up + {runs} timed runs each, interleaved ours/peer; "
              "ratio = ours p50 / onnxruntime-web p50",
              "(min ratio = ours min / onnxruntime-web min: the least disturbed runs, a check on a busy machine)",
              f"{'model':<20} {'runtime':<9} {'ours p50':>9} {'ours p90':>9} {'ort p50':>9} {'ort p90':>9} "
              f"{'ratio':>6} {'min ratio':>9} {'max|diff|':>10}"]
    for key, by_rt in result["models"].items():
        for i, rt in enumerate(rts):
            m = by_rt.get(rt)
            if m:
                lines.append(f"{key if i == 0 else '':<20} {rt:<9} {m['ours_p50_ms']:9.1f} {m['ours_p90_ms']:9.1f} "
                             f"{m['ort_web_p50_ms']:9.1f} {m['ort_web_p90_ms']:9.1f} {m['ratio']:6.2f} "
                             f"{_f(m.get('ratio_min'), '{:.2f}'):>9} {m['max_abs_diff']:10.2e}")
    gemm = {rt: result["gemm"].get(rt) or {} for rt in rts}
    if any(g.get("sizes") for g in gemm.values()):
        any_g = next(g for g in gemm.values() if g.get("sizes"))
        fma = {rt: bool(g.get("fma_peak_gflops")) for rt, g in gemm.items()}
        lines += ["", f"GEMM micro-benchmarks inside Pyodide ({any_g.get('entry_point')}, {any_g.get('statistic')}); "
                  "% of the SIMD128 mul+add peak measured in the same run (and of the relaxed-SIMD FMA peak "
                  "where the relaxed module is in use)"]
        lines.append("kernels: " + ", ".join(f"{rt} {g.get('kernels')}" for rt, g in gemm.items()) +
                     "; peak GFLOPS: " + ", ".join(
                         f"{rt} {_f(g.get('peak_gflops'))}" + (f" (FMA {_f(g['fma_peak_gflops'])})" if fma[rt] else "")
                         for rt, g in gemm.items()))

        def cells(rt, c):
            out = f" {_f(c.get('gflops')):>16} {_f(c.get('pct_of_peak'), '{:.0f}%'):>7}"
            return out + (f" {_f(c.get('pct_of_fma_peak'), '{:.0f}%'):>6}" if fma[rt] else "")

        head = f"{'M x K x N':<18} {'count':>5}" + "".join(
            f" {rt + ' GFLOPS':>16} {'% peak':>7}" + (f" {'% FMA':>6}" if fma[rt] else "") for rt in rts)
        lines += ["", head]
        for s in any_g["sizes"]:
            lines.append(f"{s + '^3':<18} {'':>5}" + "".join(cells(rt, gemm[rt].get("sizes", {}).get(s, {}))
                                                          for rt in rts))
        lines.append(f"1x1 convolutions of {BREAKDOWN_MODEL} (M = output pixels, K = Cin, N = Cout):")
        for name, c0 in any_g.get("conv1x1", {}).items():
            lines.append(f"{name:<18} {c0['count']:>5}" + "".join(cells(rt, gemm[rt].get("conv1x1", {}).get(name, {}))
                                                                 for rt in rts))
        for rt in rts:
            t = gemm[rt].get("conv1x1_total")
            if t:
                lines.append(f"all 1x1 convs of one inference ({t['gflop_per_inference']:.3f} GFLOP) at these rates, "
                             f"{rt}: {t['ms_per_inference']:.1f} ms, {t['gflops']:.1f} GFLOPS "
                             f"({_f(t.get('pct_of_peak'), '{:.0f}%')} of peak"
                             + (f", {_f(t.get('pct_of_fma_peak'), '{:.0f}%')} of FMA peak)" if fma[rt] else ")"))
    bd = {rt: result["op_breakdown"].get(rt) for rt in rts if result["op_breakdown"].get(rt)}
    if bd:
        first = next(iter(bd.values()))
        lines += ["", f"{first['model']} inside Pyodide by op type (ms per inference, median of {first['runs']} "
                  "profiled runs; op types as they run after graph passes)",
                  f"{'op type':<22} {'count':>5}" + "".join(f" {rt + ' ms':>12} {'%':>5}" for rt in bd)]
        types = list(dict.fromkeys(t for b in bd.values() for t in b["ops"]))
        for t in types:
            row = f"{t:<22} {first['ops'].get(t, {}).get('count', ''):>5}"
            for b in bd.values():
                o = b["ops"].get(t, {})
                row += f" {_f(o.get('ms'), '{:.2f}'):>12} {_f(o.get('pct'), '{:.0f}'):>5}"
            lines.append(row)
        kinds = list(dict.fromkeys(k for b in bd.values() for k in b.get("conv_kinds", {})))
        if kinds:
            lines.append("convolutions by kind:")
        for k in kinds:
            row = f"  {k:<21}{first.get('conv_kinds', {}).get(k, {}).get('count', ''):>4}"
            for b in bd.values():
                o = b.get("conv_kinds", {}).get(k, {})
                row += f" {_f(o.get('ms'), '{:.2f}'):>12} {_f(o.get('pct'), '{:.0f}'):>5}"
            lines.append(row)
        lines.append(f"{'all nodes':<22} {first['nodes']:>5}" +
                     "".join(f" {b['nodes_ms']:12.2f} {'':>5}" for b in bd.values()))
        lines.append(f"{'run (incl. run loop)':<22} {'':>5}" +
                     "".join(f" {b['run_ms']:12.2f} {'':>5}" for b in bd.values()))
    return "\n".join(lines + format_tail(result))


def format_tail(result):
    lines = []
    if result.get("step_cost"):
        lines += format_step_cost(result["step_cost"])
    if result.get("swap"):
        lines += format_swap(result["swap"])
    return lines


STEP_LABELS = {"kernel": "kernel step (Relu float32: clamp kernel)",
               "numpy_out": "NumPy step with out= (Relu float64)",
               "numpy": "NumPy step, allocating (Sign float32)"}


def format_step_cost(step_cost):
    """The fixed cost of one planned step, per kind and runtime."""
    rts = [rt for rt in RUNTIMES if rt in step_cost]
    lines = ["", "Fixed cost of one planned step inside Pyodide (us; chains of 1 and 201 nodes on 64 values and a "
                 "last Relu, p50 of 300 runs each: (201-node run - 1-node run) / 200)",
             f"{'step':<44}" + "".join(f" {rt:>10}" for rt in rts)]
    for kind, label in STEP_LABELS.items():
        lines.append(f"{label:<44}" + "".join(f" {_f(step_cost[rt].get(kind, {}).get('per_step_us')):>10}"
                                             for rt in rts))
    lines.append(f"{'a whole run of a 2-node model':<44}" +
                 "".join(f" {_f(step_cost[rt].get('kernel', {}).get('run_us_1_node')):>10}" for rt in rts))
    return lines


def main(argv, node, chromium=None):
    from tools import bench_zoo     # here: it imports this module
    parser = argparse.ArgumentParser(prog="build.py bench", description="wasm_infer vs onnxruntime-web "
                                     "(wasm, 1 thread) in Node and headless Chromium, plus kernel micro-benchmarks.")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    parser.add_argument("--runs", type=int, default=None,
                        help=f"timed runs per runtime and model (default 30; {bench_zoo.ZOO_RUNS} with --zoo)")
    parser.add_argument("--zoo", action="store_true", help="benchmark the public zoo (build/zoo, tools/zoo.py) "
                        "instead: outputs against onnxruntime native, time on kernels vs in NumPy per op type")
    parser.add_argument("--only", choices=RUNTIMES, help="run in this runtime only")
    parser.add_argument("--models", default=None,
                        help=f"comma-separated subset of {', '.join(MODELS)}, or with --zoo of the zoo's models "
                        "(default: all)")
    parser.add_argument("--breakdown", default=BREAKDOWN_MODEL, choices=list(MODELS),
                        help=f"the model broken down by op type (default {BREAKDOWN_MODEL}; only when it is run)")
    parser.add_argument("--no-gemm", action="store_true", help="skip the GEMM micro-benchmarks")
    parser.add_argument("--no-step-cost", action="store_true", help="skip the per-step cost measurement")
    parser.add_argument("--no-swap", action="store_true",
                        help="skip the hot-swap benchmark (Chromium; about 1.5 minutes for its two modes)")
    args = parser.parse_args(argv)
    known = [e["key"] for e in bench_zoo.zoo_manifest()["models"]] if args.zoo else list(MODELS)
    models = [m.strip() for m in (args.models or ",".join(known)).split(",") if m.strip()]
    unknown = [m for m in models if m not in known]
    if unknown or not models:
        parser.error(f"unknown model(s) {unknown}; choose from {known}")
    if args.runs is None:
        args.runs = bench_zoo.ZOO_RUNS if args.zoo else 30
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    wheels = sorted((BUILD / "dist").glob("wasm_infer-*.whl"))
    if len(wheels) != 1:
        sys.exit(f"bench: expected one wheel in build/dist, found {len(wheels)}")
    # both runtimes install this copy, even if build/dist is rebuilt meanwhile
    wheel = BUILD / "bench" / "wheel" / wheels[0].name
    wheel.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(wheels[0], wheel)
    if args.zoo:
        config = bench_zoo.make_zoo_config(models, args.runs, wheel, not args.no_gemm, not args.no_step_cost)
    else:
        config = make_config(models, args.runs, wheel, args.breakdown, not args.no_gemm, not args.no_step_cost)
    config_path = BUILD / "bench" / "config.json"
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(json.dumps(config))
    per_runtime = {}
    runtimes = [args.only] if args.only else list(RUNTIMES)
    for rt in runtimes:
        print(f"==> benchmark in {rt} ({', '.join(models)}; {WARMUP} warm-up + {args.runs} timed runs each, "
              "then the op breakdown and the GEMM micro-benchmarks)", file=sys.stderr, flush=True)
        load = _load()
        try:
            if rt == "node":
                res = run_node(node, config_path)
            else:
                res = run_chromium(node, config, chromium or shutil.which("chromium") or "chromium")
        except (RuntimeError, ValueError) as e:
            print(f"bench: {e}", file=sys.stderr)
            return 1
        res["load_avg_1m"] = load
        per_runtime[rt] = res
    result = collect(per_runtime)
    if args.zoo:
        result["zoo"] = bench_zoo.zoo_summary(result, config)
    if not args.no_swap and args.only in (None, "chromium"):
        result["swap"] = {}
        for mode in SWAP_MODES:
            print(f"==> hot-swap benchmark in chromium ({mode})", file=sys.stderr, flush=True)
            try:
                r = run_swap(node, wheel, chromium or shutil.which("chromium") or "chromium", mode)
            except RuntimeError as e:
                print(f"bench: {e}", file=sys.stderr)
                return 1
            result["swap"][mode] = swap_summary(r)
    report = bench_zoo.format_report if args.zoo else format_report
    print(json.dumps(result, indent=1) if args.json else report(result, per_runtime, args.runs))
    return 0
