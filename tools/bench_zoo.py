"""`python3 build.py bench --zoo`: the benchmark of tools/bench.py on the public zoo.

The models are the public zoo (tools/zoo.py, build/zoo:
real third-party models, each with its own inputs of several names and
dtypes, fed alike to both sides): per model and runtime the same p50s and
ratio, every output of ours against onnxruntime native (relative to the
output's magnitude, with the entry's tolerance), and each model's time per
op type split into plan steps on kernels and steps in NumPy (10 timed runs
by default, more for a fast model: at least two seconds of timed runs, up to 500;
the geometric mean of the ratios per runtime at the end).

Quantized models are compared with their float originals in the same run: a
zoo model `<key>_int8...` pairs with `<key>` when both are benchmarked, and
the report gives ours int8 against ours fp32 (speed-up) and against
onnxruntime-web int8. The ImageNet classifiers (one float32 input of shape
1x3x224x224) also classify the sample photos (build/data/images, preprocessed
as the demo does) inside Pyodide, so the report can say on how many photos an
int8 model's top-1 class equals its float original's.

This module holds what differs from the usual models: the configuration (each
zoo model with its feeds, as raw files in build/zoo, and onnxruntime's native
outputs), the summary (outputs against native, geometric mean) and the
tables. Running the runtimes, the swap benchmark and the rest of the report
are tools/bench.py's.
"""
import json
import math
import sys

from tools.bench import BUILD, RUNTIMES, WARMUP, ZOO, _f, format_runtimes, format_tail, make_config

ZOO_RUNS, ZOO_BREAKDOWN_RUNS = 10, 5
ZOO_MIN_TIMED_MS = 2000   # fast models get more timed runs, up to 50x ZOO_RUNS (the p50 of 10 sub-ms runs is noise)
PHOTO_INPUT = ("float32", [1, 3, 224, 224])     # an ImageNet classifier's one input
PHOTOS = BUILD / "bench" / "photos"             # the sample photos as its raw feeds (served at /photos/)


def zoo_manifest():
    path = ZOO / "zoo.json"
    if not path.exists():
        sys.exit("bench --zoo: build/zoo/zoo.json is missing; run `python3 build.py zoo`")
    return json.loads(path.read_text())


def photo_feeds():
    """The sample photos, preprocessed for an ImageNet classifier
    (wasm_infer.vision.imagenet_preprocess, as the demo does), written as raw
    little-endian float32 files: [{"name", "file", "ref"}] in name order."""
    from wasm_infer.vision import imagenet_preprocess
    images = BUILD / "data" / "images"
    if not images.is_dir():
        sys.exit("bench --zoo: build/data/images is missing; run `python3 build.py setup`")
    PHOTOS.mkdir(parents=True, exist_ok=True)
    photos = []
    for path in sorted(images.iterdir()):
        x = imagenet_preprocess(path)
        if x.dtype.name != PHOTO_INPUT[0] or list(x.shape) != PHOTO_INPUT[1]:
            raise RuntimeError(f"imagenet_preprocess({path.name}) gave {x.dtype} {list(x.shape)}, not {PHOTO_INPUT}")
        out = PHOTOS / f"{path.stem}.bin"
        out.write_bytes(x.astype("<f4").tobytes())
        photos.append({"name": path.name, "file": out.name, "ref": str(out)})
    return photos


def _is_classifier(entry):
    return [(i["dtype"], i["shape"]) for i in entry["inputs"]] == [PHOTO_INPUT]


def make_zoo_config(keys, runs, wheel, gemm=True, step_cost=True):
    """make_config for the zoo: each model with its feeds (raw files in
    build/zoo) and onnxruntime's native outputs; every model broken down;
    the ImageNet classifiers with the sample photos to classify."""
    config = make_config([], runs, wheel, gemm=gemm, step_cost=step_cost)
    entries = {e["key"]: e for e in zoo_manifest()["models"]}
    photos = photo_feeds() if any(_is_classifier(entries[k]) for k in keys) else []
    config["models"] = [{
        "key": k, "file": entries[k]["file"], "ref": str(ZOO / entries[k]["file"]),
        "native_ref": str(ZOO / entries[k]["ref"]), "native_ref_file": entries[k]["ref"], "rtol": entries[k]["rtol"],
        "feeds": [{"name": i["name"], "dtype": i["dtype"], "shape": i["shape"], "file": i["file"],
                   "ref": str(ZOO / i["file"])} for i in entries[k]["inputs"]],
        **({"photos": photos} if _is_classifier(entries[k]) else {}),
    } for k in keys]
    config["zoo_breakdown"] = {"runs": ZOO_BREAKDOWN_RUNS}
    config["min_timed_ms"] = ZOO_MIN_TIMED_MS
    # each quantized model with its float original, both ours, timed interleaved (int8_summary)
    config["pairs"] = [[k, float_original(k, keys)] for k in keys if float_original(k, keys)]
    return config


def float_original(key, keys):
    """The float model a quantized zoo model was made from: `<key>` for
    `<key>_int8...`, when it is among `keys`; else None."""
    base, sep, _ = key.partition("_int8")
    return base if sep and base in keys else None


def int8_summary(result):
    """Per quantized model and runtime, against its float original in the same
    run: p50s, ours fp32 / ours int8 (speed-up), the ratio to onnxruntime-web
    int8, and on how many sample photos the top-1 classes agree. The p50s and
    the speed-up come from the pair's own loop, both models loaded and timed
    interleaved (result["pairs"], bench_core.mjs benchPair), when it ran; else
    from the two models' own rows."""
    out = []
    for key, by_rt in result["models"].items():
        base = float_original(key, result["models"])
        if base is None:
            continue
        for rt, m in by_rt.items():
            f = result["models"][base].get(rt)
            if not f:
                continue
            pair = result.get("pairs", {}).get(rt, {}).get(key)
            q_ms, f_ms = (pair["int8_p50_ms"], pair["fp32_p50_ms"]) if pair else (m["ours_p50_ms"], f["ours_p50_ms"])
            row = {"key": key, "float": base, "runtime": rt, "int8_p50_ms": q_ms, "fp32_p50_ms": f_ms,
                   "speedup": f_ms / q_ms, "interleaved": bool(pair), "ratio_ort_web_int8": m["ratio"]}
            if m.get("top1") and f.get("top1"):
                row["top1_same"] = sum(m["top1"][p] == f["top1"].get(p) for p in m["top1"])
                row["photos"] = len(m["top1"])
            out.append(row)
    return out


def zoo_summary(result, config):
    """--zoo: per model and runtime whether every output is within the entry's
    tolerance of onnxruntime native, and the geometric mean of the ratios."""
    rtol = {m["key"]: m["rtol"] for m in config["models"]}
    geomean = {}
    for key, by_rt in result["models"].items():
        for rt, m in by_rt.items():
            rel = [o["relative"] for o in m.get("native", [])]
            m["native_max_relative"] = None if None in rel or not rel else max(rel)
            m["rtol"] = rtol[key]
            m["matches_native"] = m["native_max_relative"] is not None and m["native_max_relative"] <= rtol[key]
            geomean.setdefault(rt, []).append(m["ratio"])
    return {"geomean_ratio": {rt: math.exp(sum(map(math.log, r)) / len(r)) for rt, r in geomean.items()},
            "int8": int8_summary(result),
            "models": [{k: e[k] for k in ("key", "title", "source", "inputs", "outputs", "rtol", "notes")}
                       for e in zoo_manifest()["models"] if e["key"] in result["models"]]}


def format_report(result, per_runtime, runs):
    rts = [rt for rt in RUNTIMES if rt in per_runtime]
    return "\n".join(format_runtimes(per_runtime, rts) + format_zoo(result, rts, runs) + format_tail(result))


def format_zoo(result, rts, runs):
    """The --zoo tables: per model the timings and correctness, then its op types."""
    lines = ["", f"Zoo models: ms per inference, {WARMUP} warm-up + {runs} timed runs each (more for a fast model: "
             f"at least {ZOO_MIN_TIMED_MS} ms of timed runs; 'runs' says how many), interleaved ours/peer; "
             "ratio = ours p50 / onnxruntime-web p50; 'vs native' = max over outputs of max|ours - onnxruntime "
             "native| / max|native| (tolerance 'tol'); 'vs web' = max|diff| of the first output against "
             "onnxruntime-web; NumPy % = share of the profiled node time in NumPy steps (the rest on kernels); "
             "the steps of a planned If branch count as their own op types and kinds, the If as its own overhead",
             f"{'model':<19} {'runtime':<9} {'ours p50':>9} {'ort p50':>9} {'ratio':>6} {'min ratio':>9} "
             f"{'vs native':>9} {'tol':>7} {'ok':>3} {'vs web':>9} {'NumPy %':>7} {'runs':>5}"]
    for key, by_rt in result["models"].items():
        for i, rt in enumerate(rts):
            m = by_rt.get(rt)
            if not m:
                continue
            bd = result.get("zoo_breakdown", {}).get(rt, {}).get(key, {})
            lines.append(f"{key if i == 0 else '':<19} {rt:<9} {m['ours_p50_ms']:9.1f} {m['ort_web_p50_ms']:9.1f} "
                         f"{m['ratio']:6.2f} {_f(m.get('ratio_min'), '{:.2f}'):>9} "
                         f"{_f(m.get('native_max_relative'), '{:.1e}'):>9} {m['rtol']:7.1e} "
                         f"{'yes' if m['matches_native'] else 'NO':>3} {m['max_abs_diff']:9.1e} "
                         f"{_f(bd.get('numpy_pct'), '{:.0f}'):>7} {_f(m.get('runs'), '{}'):>5}")
    lines.append("geometric mean of the ratios: " + ", ".join(
        f"{rt} {g:.2f}" for rt, g in result["zoo"]["geomean_ratio"].items()))
    if result["zoo"].get("int8"):
        lines += ["", "Quantized models against their float originals, same run: speed-up = ours fp32 p50 / ours int8 "
                  "p50, both models loaded together and timed interleaved in one loop (* = from the models' own rows "
                  "instead); ratio = ours int8 p50 / onnxruntime-web int8 p50 (the model's row); top-1 = sample "
                  "photos on which the int8 model's class equals the float model's (both run inside Pyodide)",
                  f"{'model':<27} {'runtime':<9} {'int8 p50':>9} {'fp32 p50':>9} {'speed-up':>8} {'ratio':>6} "
                  f"{'top-1':>6}"]
        for r in result["zoo"]["int8"]:
            top1 = f"{r['top1_same']}/{r['photos']}" if "photos" in r else "-"
            lines.append(f"{r['key']:<27} {r['runtime']:<9} {r['int8_p50_ms']:9.1f} {r['fp32_p50_ms']:9.1f} "
                         f"{r['speedup']:8.2f}{' ' if r.get('interleaved') else '*'}{r['ratio_ort_web_int8']:6.2f} "
                         f"{top1:>6}")
    for key in result["models"]:
        bds = {rt: result.get("zoo_breakdown", {}).get(rt, {}).get(key) for rt in rts}
        bds = {rt: b for rt, b in bds.items() if b}
        if not bds:
            continue
        first = next(iter(bds.values()))
        lines += ["", f"{key} by op type (ms per inference, median of {first['runs']} profiled runs; "
                  f"{'planned' if first.get('planned') else 'no plan: every node in NumPy'}; kernel = nodes of the "
                  "type on kernels; count includes the steps of planned If branches, If = the If's own time)",
                  f"{'op type':<22} {'count':>5} {'kernel':>6}" +
                  "".join(f" {rt + ' ms':>12} {'%':>4} {'NumPy ms':>9}" for rt in bds)]
        for t in dict.fromkeys(t for b in bds.values() for t in b["ops"]):
            o0 = first["ops"].get(t, {})
            row = f"{t:<22} {o0.get('count', ''):>5} {o0.get('kernel_count', ''):>6}"
            for b in bds.values():
                o = b["ops"].get(t, {})
                row += f" {_f(o.get('ms'), '{:.2f}'):>12} {_f(o.get('pct'), '{:.0f}'):>4} " \
                       f"{_f(o.get('numpy_ms'), '{:.2f}'):>9}"
            lines.append(row)
        lines.append(f"{'all nodes':<22} {first['nodes']:>5} {'':>6}" + "".join(
            f" {b['nodes_ms']:12.2f} {'':>4} {b['numpy_ms']:9.2f}" for b in bds.values()))
    return lines
