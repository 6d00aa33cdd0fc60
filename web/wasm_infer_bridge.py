"""The Python side of wasm_infer's Web Worker (web/wasm_infer.worker.js).

The worker runs this file once, after installing numpy and the wasm_infer
wheel, and calls its functions with JavaScript values (JsProxy objects):
model bytes as a Uint8Array, feeds as { name: { type, dims, data } } with
typed arrays. Answers are JSON strings, except tensors, which go back as
numpy arrays that the worker copies out of the wasm heap.

Every function records the exception it raises (type and message), so the
worker can hand JavaScript an Error with the Python type and message rather
than a traceback (`take_last_error`).
"""
import functools
import gc
import json
import time

import numpy as np

import wasm_infer
from wasm_infer.errors import InputError, UnsupportedError

_sessions = {}       # id -> InferenceSession
_state = {}          # id -> {"feeds": last numpy feeds, "runs": number of runs}
_next_id = [0]
_last_error = [None]

# onnxruntime-web's tensor type names <-> numpy
_NUMPY = {"float32": np.float32, "float64": np.float64, "float16": np.float16, "int8": np.int8,
          "uint8": np.uint8, "int16": np.int16, "uint16": np.uint16, "int32": np.int32, "uint32": np.uint32,
          "int64": np.int64, "uint64": np.uint64, "bool": np.bool_}
_ONNX_TO_JS = {"float": "float32", "double": "float64", "float16": "float16", "int8": "int8", "uint8": "uint8",
               "int16": "int16", "uint16": "uint16", "int32": "int32", "uint32": "uint32", "int64": "int64",
               "uint64": "uint64", "bool": "bool", "string": "string", "bfloat16": "bfloat16"}


def _reports_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        try:
            return fn(*args)
        except BaseException as e:
            cls = type(e)
            _last_error[0] = json.dumps({"type": cls.__name__, "pythonType": f"{cls.__module__}.{cls.__qualname__}",
                                         "message": str(e) or cls.__name__})
            raise
    return wrapper


def take_last_error():
    """The last exception a bridge function raised, as JSON, once."""
    err, _last_error[0] = _last_error[0], None
    return err


def _ms(t0, t1):
    return (t1 - t0) * 1e3


def _type_of(type_string):
    """'tensor(float)' -> 'float32' (onnxruntime-web's names); other kinds unchanged."""
    if type_string and type_string.startswith("tensor(") and type_string.endswith(")"):
        inner = type_string[7:-1]
        return _ONNX_TO_JS.get(inner, inner)
    return type_string


def _describe(args):
    return [{"name": a.name, "dims": a.shape, "type": _type_of(a.type)} for a in args]


def _session(sid):
    sess = _sessions.get(sid)
    if sess is None:
        raise LookupError(f"session {sid} does not exist (released?)")
    return sess


# ---- tensors in and out --------------------------------------------------------

def _feeds_to_numpy(feeds):
    """{ name: { type, dims, data } } (JsProxy) -> { name: ndarray }."""
    out = {}
    for name, value in feeds.to_py(depth=1).items():
        spec = value.to_py(depth=1) if hasattr(value, "to_py") else value
        type_, dims, data = spec.get("type"), spec.get("dims"), spec.get("data")
        dims = _dims(name, dims.to_py() if hasattr(dims, "to_py") else dims)
        count = int(np.prod(dims, dtype=np.int64))
        if type_ == "string":
            values = list(data.to_py()) if hasattr(data, "to_py") else list(data)
            arr = np.array(values, dtype=object)
        else:
            dtype = _NUMPY.get(type_)
            if dtype is None:
                raise InputError(f"input {name!r}: unsupported tensor type {type_!r}")
            length = data.length if hasattr(data, "length") else len(data)
            if length != count:
                raise InputError(f"input {name!r}: dims {dims} hold {count} values, but data has {length}")
            storage = {np.bool_: np.uint8, np.float16: np.uint16}.get(dtype, dtype)
            arr = np.empty(count, storage)
            if hasattr(data, "assign_to"):
                data.assign_to(arr)          # one copy, JS typed array -> numpy
            else:
                arr[:] = np.frombuffer(bytes(data), storage)
            if dtype is np.bool_:
                arr = arr != 0
            elif dtype is np.float16:
                arr = arr.view(np.float16)
        out[name] = arr.reshape(dims)
    return out


def _dims(name, raw):
    """The shim checks dims before sending them; this keeps the bridge safe on
    its own: NaN, Infinity, 1e20 or -1 become an InputError, not a ValueError
    or OverflowError."""
    dims = []
    for d in raw:
        if isinstance(d, bool) or not isinstance(d, (int, float)) or not (0 <= d < 2**53) or d != int(d):
            raise InputError(f"input {name!r}: dims {list(raw)}: every dim must be a non-negative integer, not {d!r}")
        dims.append(int(d))
    return dims


def _export(name, value):
    """(meta, ndarray or None) for one output."""
    if not isinstance(value, np.ndarray):
        if isinstance(value, (list, tuple)) or value is None:
            raise UnsupportedError(f"output {name!r} is a {type(value).__name__} (a sequence or optional value); "
                                   "the JavaScript API returns tensors only")
        value = np.asarray(value)
    dims = list(value.shape)
    if value.dtype == object or value.dtype.kind in "US":
        return {"name": name, "type": "string", "dims": dims, "data": [str(v) for v in value.reshape(-1)]}, None
    if value.dtype == np.bool_:
        type_, arr = "bool", value.view(np.uint8)
    elif value.dtype == np.float16:
        type_, arr = "float16", value.view(np.uint16)
    elif value.dtype.name in _NUMPY:
        type_, arr = value.dtype.name, value
    else:
        raise UnsupportedError(f"output {name!r} has dtype {value.dtype}, which the JavaScript API cannot return")
    return {"name": name, "type": type_, "dims": dims}, np.ascontiguousarray(arr).reshape(-1)


def _zeros(sess):
    """Feeds of zeros for a warm-up run (symbolic dims -> 1), or None with a reason."""
    feeds = {}
    for arg in sess.get_inputs():
        type_ = _type_of(arg.type)
        if arg.shape is None or type_ not in _NUMPY:
            return None, f"input {arg.name!r} ({arg.type}, shape {arg.shape}) has no fixed tensor type and rank"
        dims = [d if isinstance(d, int) and d > 0 else 1 for d in arg.shape]
        feeds[arg.name] = np.zeros(dims, _NUMPY[type_])
    return feeds, None


# ---- the functions the worker calls ------------------------------------------------

@_reports_errors
def runtime_info(features_json):
    info = wasm_infer.runtime_info()
    info["browser"] = json.loads(features_json)
    return json.dumps(info)


@_reports_errors
def load(data, name, warmup, progress=None):
    """Create a session from the model bytes; with `warmup`, run it once on
    zeros (compiles, pre-packs, JITs the kernels) so the first real run is fast.
    `progress(step, ms)` is told when each step starts (ms None) and ends."""
    report = progress if progress is not None else (lambda step, ms: None)
    model = data.to_bytes() if hasattr(data, "to_bytes") else bytes(data)
    report("model load", None)
    t0 = time.perf_counter()
    sess = wasm_infer.InferenceSession(model)
    t1 = time.perf_counter()
    report("model load", _ms(t0, t1))
    timings = {"load_ms": _ms(t0, t1)}
    warmup_error = None
    feeds = None
    if warmup:
        feeds, warmup_error = _zeros(sess)
        if feeds is not None:
            report("warm-up", None)
            try:
                t2 = time.perf_counter()
                if hasattr(sess, "warmup"):
                    # representative inputs, twice: the first run plans, the second runs the plan
                    timings["warmup_runs_ms"] = sess.warmup()["runs_ms"]
                else:
                    sess.run(None, feeds)
                timings["warmup_ms"] = _ms(t2, time.perf_counter())
                report("warm-up", timings["warmup_ms"])
            except wasm_infer.PlanError:   # WASM_INFER_PLAN=strict: a plan bug fails the load, loudly
                raise
            except wasm_infer.WasmInferError as e:   # a real input may still work: report, don't fail
                warmup_error, feeds = f"{type(e).__name__}: {e}", None
                report("warm-up", 0.0)
    _next_id[0] += 1
    sid = _next_id[0]
    _sessions[sid] = sess
    _state[sid] = {"feeds": feeds, "runs": 0}
    return json.dumps({"id": sid, "inputs": _describe(sess.get_inputs()), "outputs": _describe(sess.get_outputs()),
                       "backend": sess.backend, "timings": timings, "warmup_error": warmup_error,
                       "nodes": len(sess.model.graph.nodes) if hasattr(sess, "model") else None})


@_reports_errors
def run(sid, feeds, output_names):
    sess = _session(sid)
    t0 = time.perf_counter()
    np_feeds = _feeds_to_numpy(feeds)
    names = list(output_names.to_py()) if hasattr(output_names, "to_py") else output_names
    t1 = time.perf_counter()
    results = sess.run(names, np_feeds)
    t2 = time.perf_counter()
    state = _state[sid]
    state["feeds"] = np_feeds
    state["runs"] += 1
    names = names or [o.name for o in sess.get_outputs()]
    metas, arrays = [], []
    for name, value in zip(names, results):
        meta, arr = _export(name, value)
        metas.append(meta)
        arrays.append(arr)
    timings = {"run_ms": _ms(t1, t2), "convert_ms": _ms(t0, t1) + _ms(t2, time.perf_counter()),
               "first": state["runs"] == 1}
    return {"meta": json.dumps({"outputs": metas, "timings": timings}), "arrays": arrays}


def _percentiles(times):
    a = np.asarray(times, np.float64)
    return {"runs": len(times), "times_ms": [round(t, 4) for t in times], "mean": float(a.mean()),
            "min": float(a.min()), "max": float(a.max()), "p50": float(np.percentile(a, 50)),
            "p90": float(np.percentile(a, 90)), "p99": float(np.percentile(a, 99))}


@_reports_errors
def benchmark(sid, feeds, runs, progress=None):
    sess = _session(sid)
    np_feeds = _feeds_to_numpy(feeds)
    runs = max(1, int(runs))
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        sess.run(None, np_feeds)
        times.append(_ms(t0, time.perf_counter()))
        if progress is not None and (i % 5 == 4 or i == runs - 1):
            progress(i + 1, times[-1])
    _state[sid]["feeds"] = np_feeds
    return json.dumps(_percentiles(times))


def _node_times(sess, feeds):
    """[(op_type, node name, ms)] of one run, in run order. Uses the session's
    own `profile_run` when this wasm_infer has it; otherwise wraps each step's
    `op.run` with a timer for this one run (an instance attribute shadows the
    method; nothing else about the session changes)."""
    if hasattr(sess, "profile_run"):
        return sess.profile_run(feeds)
    steps = getattr(sess, "_steps", None) or []
    records = []
    perf = time.perf_counter
    for op, *_ in steps:
        def timed(*args, _run=op.run, _op=op):
            t0 = perf()
            try:
                return _run(*args)
            finally:
                records.append((_op.op_type, _op.node.name, (perf() - t0) * 1e3))
        op.run = timed
    try:
        sess.run(None, feeds)
    finally:
        for op, *_ in steps:
            op.__dict__.pop("run", None)
    if not records:
        raise RuntimeError("profile: cannot time the nodes of this wasm_infer version's sessions")
    return records


@_reports_errors
def profile(sid, feeds, runs):
    """Per-node and per-op-type times, the mean over `runs` runs on `feeds`
    (default: the feeds of the last run, else the warm-up zeros)."""
    sess = _session(sid)
    if feeds is not None:
        np_feeds = _feeds_to_numpy(feeds)
    else:
        np_feeds = _state[sid]["feeds"]
        if np_feeds is None:
            np_feeds, why = _zeros(sess)
            if np_feeds is None:
                raise InputError(f"profile() needs feeds: {why}")
    runs = max(1, int(runs))
    nodes, wall = None, []
    for _ in range(runs):
        t0 = time.perf_counter()
        records = _node_times(sess, np_feeds)
        wall.append(_ms(t0, time.perf_counter()))
        if nodes is None:
            nodes = [{"name": name, "op_type": op_type, "ms": 0.0} for op_type, name, _ in records]
        for node, (_, _, ms) in zip(nodes, records):
            node["ms"] += ms / runs
    by_type = {}
    for node in nodes:
        entry = by_type.setdefault(node["op_type"], {"op_type": node["op_type"], "ms": 0.0, "nodes": 0})
        entry["ms"] += node["ms"]
        entry["nodes"] += 1
    nodes_ms = sum(n["ms"] for n in nodes)
    for entry in by_type.values():
        entry["share"] = entry["ms"] / (nodes_ms or 1.0)
    mean_wall = float(np.mean(wall))
    return json.dumps({"runs": runs, "total_ms": mean_wall, "nodes_ms": nodes_ms,
                       "overhead_ms": max(0.0, mean_wall - nodes_ms), "nodes": nodes,
                       "ops": sorted(by_type.values(), key=lambda e: -e["ms"]), "backend": sess.backend,
                       "plans": sess.plan_info()})   # which input signatures run planned, which not and why


@_reports_errors
def release(sid):
    _sessions.pop(sid, None)
    _state.pop(sid, None)
    gc.collect()
    return None
