# The Python half of `python3 build.py bench`, run inside Pyodide (in Node by
# tools/bench_node.mjs, in Chromium by tools/bench_page/): our sessions, the
# GEMM micro-benchmarks against the SIMD128 peak, and the per-op breakdown.
# The JavaScript side (tools/bench_page/bench_core.mjs) times model runs with
# the same clock it uses for onnxruntime-web; everything here returns JSON
# strings or bytes.
import ctypes
import json
import time

import numpy as np

import wasm_infer
from wasm_infer import kernels
from wasm_infer.subgraph_plans import profiling

SESSIONS = {}          # key -> (session, feeds)
NATIVE_REFS = {}       # key -> onnxruntime's native outputs (zoo models)
PEAK_KERNELS = {       # FLOPs per iteration of each peak kernel (see its C file)
    "simd128_mul_add": ("f32_peak_mul_add_12acc__wasmsimd", 2 * 4 * 12),
    # returns -1 in the SIMD128 module: measured only when the relaxed module is loaded
    "relaxed_fma": ("f32_peak_madd_12acc__wasmrelaxedsimd", 2 * 4 * 12),
}


# ---- models ------------------------------------------------------------------

def load_model(key, path, input_bytes, dims):
    """Create a session for the model file at `path`; its first input is fed
    `input_bytes` (float32 of shape `dims`, from JavaScript). Returns JSON info."""
    t0 = time.perf_counter()
    sess = wasm_infer.InferenceSession(path)
    load_ms = (time.perf_counter() - t0) * 1e3
    info = sess.get_inputs()[0]
    raw = input_bytes.to_bytes() if hasattr(input_bytes, "to_bytes") else bytes(input_bytes)
    x = np.frombuffer(raw, dtype=np.float32).reshape(json.loads(dims)).copy()
    SESSIONS[key] = (sess, {info.name: x})
    return json.dumps({"backend": sess.backend, "load_ms": load_ms, "input": info.name})


def load_zoo_model(key, path, feeds_json, ref_path):
    """A zoo model (tools/zoo.py): feeds of several names and dtypes, each a raw
    little-endian file in the file system ([{"name", "dtype", "shape", "path"}]),
    and onnxruntime's native outputs (an .npz, out0, out1, ...) kept to compare."""
    t0 = time.perf_counter()
    sess = wasm_infer.InferenceSession(path)
    load_ms = (time.perf_counter() - t0) * 1e3
    feeds = {f["name"]: np.fromfile(f["path"], dtype=np.dtype(f["dtype"]).newbyteorder("<"))
             .astype(f["dtype"]).reshape(f["shape"]) for f in json.loads(feeds_json)}
    SESSIONS[key] = (sess, feeds)
    with np.load(ref_path) as refs:
        NATIVE_REFS[key] = [refs[f"out{k}"] for k in range(len(refs.files))]
    return json.dumps({"backend": sess.backend, "load_ms": load_ms, "input": list(feeds)})


def native_diff(key):
    """Our outputs (one more run) against onnxruntime native, per output: max abs
    difference and that relative to the output's magnitude (max|reference|)."""
    sess, feeds = SESSIONS[key]
    out = []
    for y, ref in zip(sess.run(None, feeds), NATIVE_REFS[key]):
        y = np.asarray(y)
        if y.shape != ref.shape:
            out.append({"max_abs_diff": None, "relative": None, "shape": list(y.shape), "want": list(ref.shape)})
            continue
        diff = float(np.abs(y.astype(np.float64) - ref).max()) if ref.size else 0.0
        scale = float(np.abs(ref).max()) if ref.size else 0.0
        out.append({"max_abs_diff": diff, "relative": diff / scale if scale else diff})
    return json.dumps(out)


def top1(key, photos_json):
    """The class the model gives each photo ([{"name", "path"}]: raw float32
    files of its one input's shape): {photo name: argmax of the first output}."""
    sess, feeds = SESSIONS[key]
    (name, x), = feeds.items()
    out = {}
    for p in json.loads(photos_json):
        photo = np.fromfile(p["path"], dtype="<f4").astype(np.float32).reshape(x.shape)
        out[p["name"]] = int(np.argmax(sess.run(None, {name: photo})[0]))
    return json.dumps(out)


def run_model(key):
    """One inference (what the JavaScript side times)."""
    sess, feeds = SESSIONS[key]
    sess.run(None, feeds)


def step_cost(config_json):
    """The fixed cost of one planned step, per kind of step (see
    tools/synthetic_models.py STEP_KINDS): chains of 1 and of 201 nodes
    on 64 values (and a last Relu), each run `runs` times after its plan
    is made; per step =
    (p50 of the long chain - p50 of the short one) / 200, in microseconds.
    The models are in /bench/ (written by the JavaScript side)."""
    config = json.loads(config_json)
    times = {}
    for m in config["models"]:
        sess = wasm_infer.InferenceSession(m["path"])
        info = sess.get_inputs()[0]
        dtype = {"tensor(float)": np.float32, "tensor(double)": np.float64}[info.type]
        x = {info.name: (np.arange(64).reshape(1, 64) - 32).astype(dtype)}
        for _ in range(3):
            sess.run(None, x)            # records, plans, warms up
        samples = []
        for _ in range(config["runs"]):
            t0 = time.perf_counter()
            sess.run(None, x)
            samples.append(time.perf_counter() - t0)
        (plan,) = [p for p in sess._plans.values() if p is not None]
        times[(m["kind"], m["n"])] = (float(np.median(samples)) * 1e6, sorted({s["how"] for s in plan.step_info()}))
    out = {}
    for kind in sorted({k for k, _ in times}):
        (short, _), (long, how) = times[(kind, min(n for k, n in times if k == kind))], \
            times[(kind, max(n for k, n in times if k == kind))]
        steps = max(n for k, n in times if k == kind) - min(n for k, n in times if k == kind)
        out[kind] = {"per_step_us": (long - short) / steps, "run_us_1_node": short, "steps_are": how}
    return json.dumps(out)


def output_bytes(key):
    """The first output of one inference, as float32 bytes."""
    sess, feeds = SESSIONS[key]
    return np.ascontiguousarray(sess.run(None, feeds)[0], dtype=np.float32).tobytes()


def _conv_kind(sess, op):
    """'Conv 1x1', 'Conv 3x3 depthwise s2', ... for convolution nodes, else None."""
    node = op.node
    if "Conv" not in op.op_type or len(node.inputs) < 2:
        return None
    w = sess.model.graph.initializers.get(node.inputs[1])
    if w is None or getattr(w, "ndim", 0) != 4:
        return None
    group = node.attrs.get("group", 1) or 1
    strides = node.attrs.get("strides") or [1, 1]
    kh, kw = (node.attrs.get("kernel_shape") or w.shape[2:])[:2]   # the attribute: any weight layout
    kind = f"Conv {kh}x{kw}"
    if group > 1 and group == w.shape[0]:                            # one output channel per group
        kind += " depthwise"
    elif group > 1:
        kind += f" group {group}"
    if max(strides) > 1:
        kind += f" s{max(strides)}"
    return kind


def _step_kinds(sess, records):
    """Per profiled record: "kernel" (a bound plan step) or "numpy". The plan's
    steps (plan_info()'s step_info, in the order profile_run times them) say
    which is which; with no plan every node runs its NumPy implementation."""
    planned = sess.plan_info()["planned"]
    steps = planned[-1]["step_info"] if planned else []
    if [s["node"] for s in steps] == [name for _, name, _ in records]:
        return ["kernel" if s["how"] == "bound" else "numpy" for s in steps]
    if planned:
        raise RuntimeError("profile_run's records are not the plan's steps; update _step_kinds")
    return ["numpy"] * len(records)


def profiled_steps(sess, feeds):
    """One profiled run: [(op type, node name, ms, "kernel" or "numpy")] for the
    main graph's steps and, for a node whose subgraph ran planned (an If's
    branch), that plan's steps too, each as its own op type and kind; the node
    keeps only its own time (choosing the branch, the branch plan's feeds)."""
    with profiling(time.perf_counter) as prof:
        main = sess.profile_run(feeds)
    steps = [(t, n, ms, how) for (t, n, ms), how in zip(main, _step_kinds(sess, main))] + prof.records
    # max: with a coarse clock (a browser's) the parts can add up to a little more than the whole
    return [(t, n, max(0.0, prof.own_ms(n, ms)), how) for t, n, ms, how in steps]


def op_breakdown(key, runs, by_kernel=False):
    """Per-op-type time per inference (median over `runs` profiled runs), and
    the convolutions split by kind (1x1, depthwise, KxK; stride). by_kernel:
    also each op type's and the whole run's time on kernels vs in NumPy.
    Steps of planned subgraphs count as their own op types (profiled_steps)."""
    sess, feeds = SESSIONS[key]
    sess.profile_run(feeds)
    kinds = {op.node.name: _conv_kind(sess, op) for op, _, _ in sess._steps}
    per_run, per_run_kind, totals = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        records = profiled_steps(sess, feeds)
        totals.append((time.perf_counter() - t0) * 1e3)
        ms, ms_kind = {}, {}
        for op_type, name, t, _ in records:
            ms[op_type] = ms.get(op_type, 0.0) + t
            if kinds.get(name):
                ms_kind[kinds[name]] = ms_kind.get(kinds[name], 0.0) + t
        per_run.append(ms)
        per_run_kind.append(ms_kind)
    counts, kind_counts = {}, {}
    for op_type, name, _, _ in records:
        counts[op_type] = counts.get(op_type, 0) + 1
        if kinds.get(name):
            kind_counts[kinds[name]] = kind_counts.get(kinds[name], 0) + 1

    def table(samples, counts):
        rows = {k: {"ms": float(np.median([r.get(k, 0.0) for r in samples])), "count": n} for k, n in counts.items()}
        return dict(sorted(rows.items(), key=lambda kv: -kv[1]["ms"]))

    ops, conv = table(per_run, counts), table(per_run_kind, kind_counts)
    nodes_ms = sum(o["ms"] for o in ops.values())
    for o in [*ops.values(), *conv.values()]:
        o["pct"] = 100.0 * o["ms"] / nodes_ms if nodes_ms else 0.0
    result = {"model": key, "runs": runs, "nodes": sum(counts.values()), "nodes_ms": nodes_ms,
              "run_ms": float(np.median(totals)), "ops": ops, "conv_kinds": conv}
    if by_kernel:
        # the last profiled run's split, scaled to each op type's median time
        split = {}
        for op_type, _, t, h in records:
            s = split.setdefault(op_type, {"kernel": 0.0, "numpy": 0.0, "kernel_count": 0})
            s[h] += t
            s["kernel_count"] += h == "kernel"
        for op_type, o in ops.items():
            s = split[op_type]
            share = s["kernel"] / (s["kernel"] + s["numpy"]) if s["kernel"] + s["numpy"] else 0.0
            o.update(kernel_ms=o["ms"] * share, numpy_ms=o["ms"] * (1 - share), kernel_count=s["kernel_count"])
        result["kernel_ms"] = sum(o["kernel_ms"] for o in ops.values())
        result["numpy_ms"] = sum(o["numpy_ms"] for o in ops.values())
        result["numpy_pct"] = 100.0 * result["numpy_ms"] / nodes_ms if nodes_ms else 0.0
        result["planned"] = bool(sess.plan_info()["planned"]) or any(h == "kernel" for *_, h in records)
    return json.dumps(result)


def release(key):
    SESSIONS.pop(key, None)
    NATIVE_REFS.pop(key, None)


# ---- kernel micro-benchmarks -------------------------------------------------

GEMM_ENTRY = None


def gemm_runner(a, b, out):
    """A zero-argument callable computing out = a @ b with the kernels' public
    GEMM wrapper: the one place to repoint when the GEMM API changes. Prefers
    what inference uses (B packed once into panels by pack_gemm, outside the
    timing, then bind_gemm_packed), else the unpacked bind_gemm, else gemm."""
    global GEMM_ENTRY
    pack, bind_packed = getattr(kernels, "pack_gemm", None), getattr(kernels, "bind_gemm_packed", None)
    if pack is not None and bind_packed is not None:
        GEMM_ENTRY = "wasm_infer.kernels.pack_gemm + bind_gemm_packed"
        return bind_packed(a, pack(b), out)
    bind = getattr(kernels, "bind_gemm", None)
    if bind is not None:
        GEMM_ENTRY = "wasm_infer.kernels.bind_gemm"
        return bind(a, b, None, out)
    GEMM_ENTRY = "wasm_infer.kernels.gemm"
    return lambda: kernels.gemm(a, b, None, out)


def _best_rate(fn, flops, min_batch_s, repeats, budget_s):
    """(best, median) GFLOPS of fn over batches of calls lasting >= min_batch_s
    each: `repeats` batches, or fewer (at least 3) once `budget_s` is spent.
    Short batches and the best of many: on a shared machine most long batches
    get preempted, and noise only ever slows a batch down."""
    fn()
    t0 = time.perf_counter()
    fn()                             # past V8's baseline tier (Liftoff -> TurboFan)
    # long calls get preempted more often on a loaded machine: give them more tries
    budget_s = max(budget_s, min(3.0, 25 * (time.perf_counter() - t0)))
    reps = 1
    while True:                      # calibrate the batch size
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_batch_s or reps >= 1 << 20:
            break
        reps *= max(2, min(16, int(min_batch_s / max(dt, 1e-6)) + 1))
    rates, start = [flops * reps / dt / 1e9], time.perf_counter()
    while len(rates) < repeats and (len(rates) < 3 or time.perf_counter() - start < budget_s):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        rates.append(flops * reps / (time.perf_counter() - t0) / 1e9)
    return max(rates), float(np.median(rates))


def _peak_function(symbol):
    """The peak kernel `symbol` of the module the sessions use (its symbol table
    lists it), or None."""
    f = kernels.raw(symbol)
    if f is not None:
        f.restype = ctypes.c_float
    return f


def measure_peaks(min_batch_s=0.001, repeats=200, budget_s=1.0):
    """GFLOPS of each peak kernel present in the loaded module (best of `repeats` calls)."""
    out = {}
    for label, (symbol, flops_per_iter) in PEAK_KERNELS.items():
        f = _peak_function(symbol)
        if f is None or f(1) < 0:   # absent, or a stub in a module without the ISA
            continue
        iters = 1 << 12
        f(iters)
        f(iters)
        while True:                  # one call of >= min_batch_s
            t0 = time.perf_counter()
            f(iters)
            if time.perf_counter() - t0 >= min_batch_s or iters >= 1 << 30:
                break
            iters *= 2
        best, _ = _best_rate(lambda: f(iters), flops_per_iter * iters, 0.0, repeats, budget_s)
        if best > 1000:              # one core does ~50: the compiler removed the loop
            raise RuntimeError(f"{symbol}: {best:.0f} GFLOPS is impossible; the loop was optimised away")
        out[label] = best
    return out


def _check_gemm(a, b, out):
    ref = a.astype(np.float64) @ b.astype(np.float64)
    err = float(np.abs(out - ref).max() / max(np.abs(ref).max(), 1e-30))
    if not err < 1e-4:
        raise AssertionError(f"GEMM {a.shape} @ {b.shape} is wrong: relative error {err:.2e}")
    return err


def _gemm_case(m, k, n, rng, min_batch_s, repeats, budget_s, check):
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    out = np.zeros((m, n), np.float32)
    fn = gemm_runner(a, b, out)
    fn()
    if check:
        _check_gemm(a, b, out)
    best, median = _best_rate(fn, 2.0 * m * n * k, min_batch_s, repeats, budget_s)
    return {"m": m, "k": k, "n": n, "gflops": best, "median_gflops": median}


def gemm_bench(config_json):
    """config: {"sizes": [64, ...], "conv1x1": [{"m","k","n","count","nodes"}],
    "min_batch_s", "repeats", "budget_s"}. GFLOPS are the best of the batches
    (see _best_rate), the same statistic as the peak's."""
    cfg = json.loads(config_json)
    if not kernels.available():
        return json.dumps({"error": f"kernels not available: {kernels.reason()}"})
    min_batch_s, repeats, budget_s = cfg.get("min_batch_s", 0.002), cfg.get("repeats", 30), cfg.get("budget_s", 0.6)
    rng = np.random.default_rng(0)
    peaks_before = measure_peaks()
    sizes = {}
    for s in cfg["sizes"]:
        sizes[str(s)] = _gemm_case(s, s, s, rng, min_batch_s, repeats, budget_s, check=s <= 256)
    conv = {}
    for c in cfg.get("conv1x1", []):
        r = _gemm_case(c["m"], c["k"], c["n"], rng, min_batch_s, repeats, budget_s, check=True)
        r.update(count=c.get("count", 1), nodes=c.get("nodes", []))
        conv[f"{c['m']}x{c['k']}x{c['n']}"] = r
    peaks_after = measure_peaks()
    peaks = {k: max(peaks_before.get(k, 0.0), peaks_after.get(k, 0.0)) for k in peaks_before}
    peak = peaks.get("simd128_mul_add")
    for r in [*sizes.values(), *conv.values()]:
        r["pct_of_peak"] = 100.0 * r["gflops"] / peak if peak else None
        if peaks.get("relaxed_fma"):
            r["pct_of_fma_peak"] = 100.0 * r["gflops"] / peaks["relaxed_fma"]
    if conv:
        # the 1x1 convolutions of one inference together, at the measured rates
        flops = sum(2.0 * r["m"] * r["k"] * r["n"] * r["count"] for r in conv.values())
        secs = sum(2.0 * r["m"] * r["k"] * r["n"] * r["count"] / (r["gflops"] * 1e9) for r in conv.values())
        conv_total = {"gflop_per_inference": flops / 1e9, "ms_per_inference": secs * 1e3,
                      "gflops": flops / secs / 1e9}
        conv_total["pct_of_peak"] = 100.0 * conv_total["gflops"] / peak if peak else None
        if peaks.get("relaxed_fma"):
            conv_total["pct_of_fma_peak"] = 100.0 * conv_total["gflops"] / peaks["relaxed_fma"]
    else:
        conv_total = None
    return json.dumps({
        "entry_point": GEMM_ENTRY, "kernels": kernels.flavour(),
        "statistic": f"best of up to {repeats} batches of >= {min_batch_s * 1e3:g} ms",
        "peak_gflops": peak, "fma_peak_gflops": peaks.get("relaxed_fma"),
        "peak_gflops_before_after": [peaks_before.get("simd128_mul_add"), peaks_after.get("simd128_mul_add")],
        "fma_peak_gflops_before_after": [peaks_before.get("relaxed_fma"), peaks_after.get("relaxed_fma")],
        "sizes": sizes, "conv1x1": conv, "conv1x1_total": conv_total,
    })


def runtime_info():
    return json.dumps(wasm_infer.runtime_info())
