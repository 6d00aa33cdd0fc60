"""The other runtimes of docs/CONFORMANCE.md, measured on the same node test
cases with the same comparison (tools/conformance_compare.py `compare`):
onnx.reference's ReferenceEvaluator and onnxruntime natively (both in
.venv), onnxruntime-web in Node (node_modules, tools/conformance_ortweb.mjs).
One run per case; the excluded cases are not run and count as not passed.

Each `PEERS` entry takes the onnx cases and returns {"label", "how",
"results": {name: failure reason or None}}."""
import base64
import ctypes
import json
import platform
import subprocess
import warnings

import numpy as np

from tools.conformance import EXCLUDED, OUT_DIR, ROOT, STALL_SECONDS, as_array, portable_value, stream
from tools.conformance_compare import compare
from wasm_infer import dtypes, lowp


def _check(case, outputs_of):
    """None if the runtime's outputs for the case match, else the reason."""
    ins, outs = case.data_sets[0]
    names = [i.name for i in case.model.graph.input]
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            got = outputs_of(dict(zip(names, [as_array(x) for x in ins])))
        return compare([portable_value(x) for x in outs], [portable_value(x) for x in got], case.rtol, case.atol)
    except Exception as e:  # noqa: BLE001 (any error is a failure with a reason)
        return f"{type(e).__name__}: {' '.join(str(e).split())[:300]}"


def reference(cases, node=None):
    import onnx
    from onnx.reference import ReferenceEvaluator
    import ml_dtypes
    results = {c.name: _check(c, lambda feeds, c=c: ReferenceEvaluator(c.model).run(None, feeds))
               for c in cases if c.name not in EXCLUDED}
    return {"label": f"onnx.reference.ReferenceEvaluator, onnx {onnx.__version__} (ml_dtypes {ml_dtypes.__version__})",
            "how": "natively, `ReferenceEvaluator(model).run(None, feeds)`", "results": results}


def _ort_feed(ort, v):
    """NumPy has no bfloat16/float8/int4...: hand those to onnxruntime as typed
    OrtValues holding their bits (packed for the sub-byte types)."""
    x = portable_value(v)
    t = dtypes.onnx_type(x.dtype) if isinstance(x, np.ndarray) else None
    if t not in dtypes.EXOTIC:
        return v
    width = dtypes.SUBBYTE_BITS.get(t)
    raw = lowp.pack_subbyte(dtypes.bits(x), width) if width else np.ascontiguousarray(dtypes.bits(x))
    value = ort.OrtValue.ortvalue_from_shape_and_type(list(x.shape), t)
    if raw.nbytes:
        ctypes.memmove(value.data_ptr(), raw.ctypes.data, raw.nbytes)
    return value


def _ort_output(value, t):
    """An OrtValue of exotic element type t as wasm_infer's representation (its Python API has no NumPy type for it)."""
    shape = value.shape()
    nbytes = value.tensor_size_in_bytes()
    raw = np.frombuffer(ctypes.string_at(value.data_ptr(), nbytes), np.uint8) if nbytes else np.zeros(0, np.uint8)
    width = dtypes.SUBBYTE_BITS.get(t)
    if width:
        vals = lowp.unpack_subbyte(raw, int(np.prod(shape, dtype=np.int64)), width, t in (dtypes.INT4, dtypes.INT2))
    else:
        vals = raw.view(dtypes.EXOTIC[t][0])
    return dtypes.wrap(vals, t).reshape(shape)


def onnxruntime_native(cases, node=None):
    import onnxruntime as ort
    ort.set_default_logger_severity(4)   # its errors come back as exceptions; keep stderr quiet
    options, run_options = ort.SessionOptions(), ort.RunOptions()
    options.log_severity_level = run_options.log_severity_level = 4
    by_name = {f"tensor({n})": t for t, n in dtypes.NAMES.items()}

    def outputs_of(case):
        def run(feeds):
            sess = ort.InferenceSession(case.model.SerializeToString(), options, providers=["CPUExecutionProvider"])
            feeds = {k: _ort_feed(ort, v) for k, v in feeds.items()}
            types = [by_name.get(o.type) for o in sess.get_outputs()]
            if not any(t in dtypes.EXOTIC for t in types):
                return sess.run(None, feeds, run_options)
            feeds = {k: v if isinstance(v, ort.OrtValue) else ort.OrtValue.ortvalue_from_numpy(v)
                     for k, v in feeds.items()}
            return [_ort_output(v, t) if t in dtypes.EXOTIC else v.numpy()
                    for v, t in zip(sess.run_with_ort_values(None, feeds, run_options), types)]
        return run
    results = {c.name: _check(c, outputs_of(c)) for c in cases if c.name not in EXCLUDED}
    return {"label": f"onnxruntime {ort.__version__}, CPU execution provider",
            "how": f"natively ({platform.machine()}), default session options; tensors of types NumPy lacks "
                   "(bfloat16, float8, 4- and 2-bit) pass as typed OrtValues holding their bits",
            "results": results}


# numpy dtype (wasm_infer's representation) -> onnxruntime-web tensor type
_ORT_WEB_TYPES = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64", np.dtype(np.float16): "float16",
                  np.dtype(np.int8): "int8", np.dtype(np.uint8): "uint8", np.dtype(np.int16): "int16",
                  np.dtype(np.uint16): "uint16", np.dtype(np.int32): "int32", np.dtype(np.uint32): "uint32",
                  np.dtype(np.int64): "int64", np.dtype(np.uint64): "uint64", np.dtype(bool): "bool",
                  dtypes.EXOTIC[dtypes.INT4]: "int4", dtypes.EXOTIC[dtypes.UINT4]: "uint4"}
_NUMPY_OF = {v: k for k, v in _ORT_WEB_TYPES.items() if k.names is None}


def _to_web(x):
    """A portable value as {"type", "dims", "data"} for tools/conformance_ortweb.mjs, or a reason it cannot be one."""
    if not isinstance(x, np.ndarray):
        return f"a {type(x).__name__} input (onnxruntime-web feeds tensors only)"
    dims = list(x.shape)
    if x.dtype == object:
        return {"type": "string", "dims": dims, "data": [s.decode() if isinstance(s, bytes) else str(s)
                                                           for s in x.reshape(-1)]}
    kind = _ORT_WEB_TYPES.get(x.dtype)
    if kind is None:
        return f"a {dtypes.NAMES.get(dtypes.onnx_type(x.dtype), x.dtype)} input (no onnxruntime-web tensor type)"
    raw = lowp.pack_subbyte(dtypes.bits(x), 4) if kind in ("int4", "uint4") else np.ascontiguousarray(x)
    return {"type": kind, "dims": dims, "data": base64.b64encode(raw.tobytes()).decode()}


def _from_web(t):
    dims = tuple(t["dims"])
    if t["type"] == "string":
        return np.array(t["data"], dtype=object).reshape(dims)
    raw = np.frombuffer(base64.b64decode(t["data"]), dtype=np.uint8)
    if t["type"] in ("int4", "uint4"):
        signed = t["type"] == "int4"
        vals = lowp.unpack_subbyte(raw, int(np.prod(dims, dtype=np.int64)), 4, signed)
        return dtypes.wrap(vals, dtypes.INT4 if signed else dtypes.UINT4).reshape(dims)
    return raw.view(_NUMPY_OF[t["type"]]).reshape(dims).copy()


def onnxruntime_web(cases, node="node"):
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    results, todo, expected = {}, [], {}
    for c in cases:
        if c.name in EXCLUDED:
            continue
        ins, outs = c.data_sets[0]
        inputs = [_to_web(portable_value(x)) for x in ins]
        bad = next((f"input {k}: {why}" for k, why in enumerate(inputs) if isinstance(why, str)), None)
        if bad:
            results[c.name] = bad
            continue
        todo.append({"name": c.name, "model": base64.b64encode(c.model.SerializeToString()).decode(), "inputs": inputs})
        expected[c.name] = ([portable_value(x) for x in outs], c.rtol, c.atol)
    not_fed = len(results)
    path = OUT_DIR / "ortweb.json"
    path.write_text(json.dumps(todo))

    def on_line(r):
        want, rtol, atol = expected[r["name"]]
        if "error" in r:
            results[r["name"]] = r["error"][:300]
            return
        try:
            results[r["name"]] = compare(want, [_from_web(t) for t in r["outputs"]], rtol, atol)
        except Exception as e:  # noqa: BLE001 (an output we cannot read back is a failure)
            results[r["name"]] = f"cannot read the output back: {type(e).__name__}: {e}"

    script = str(ROOT / "tools" / "conformance_ortweb.mjs")
    for i, code in stream(lambda start: [node, script, str(path), str(start)], todo, on_line).items():
        results[todo[i]["name"]] = f"onnxruntime-web stopped on this case (exit {code}, or no answer within {STALL_SECONDS} s)"
    version = json.loads((ROOT / "node_modules" / "onnxruntime-web" / "package.json").read_text())["version"]
    node_version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    return {"label": f"onnxruntime-web {version}, wasm backend (1 thread)",
            "how": f"in Node {node_version}; {not_fed} cases have inputs its JS tensors cannot hold "
                   "(sequences, optionals, bfloat16, float8, float4, 2-bit ints) and count as failed",
            "results": results}


PEERS = {"onnx_reference": reference, "onnxruntime": onnxruntime_native, "onnxruntime_web": onnxruntime_web}

CAST_INPUTS = [-20.0, -9.5, -9.0, -8.5, -1.5, -0.5, 2.5, 2.7, 7.5, 8.0, 15.0, 16.0, 100.0,
               float("nan"), float("inf"), float("-inf")]


def cast_int_table():
    """float32 -> INT4 -> FLOAT in wasm_infer (native), onnx.reference and
    onnxruntime: {"inputs", "runtimes", "rows"} for docs/CONFORMANCE.md."""
    import ml_dtypes
    import onnxruntime as ort
    from onnx import TensorProto, helper
    from onnx.reference import ReferenceEvaluator

    import wasm_infer
    nodes = [helper.make_node("Cast", ["x"], ["q"], to=TensorProto.INT4),
             helper.make_node("Cast", ["q"], ["y"], to=TensorProto.FLOAT)]
    n = len(CAST_INPUTS)
    graph = helper.make_graph(nodes, "cast_int4", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    data = model.SerializeToString()
    x = np.array(CAST_INPUTS, dtype=np.float32)
    runners = {"wasm_infer": lambda: wasm_infer.InferenceSession(data, backend="numpy").run(None, {"x": x})[0],
               f"onnx.reference (ml_dtypes {ml_dtypes.__version__})": lambda: ReferenceEvaluator(model).run(None, {"x": x})[0],
               f"onnxruntime {ort.__version__}": lambda: ort.InferenceSession(data, providers=["CPUExecutionProvider"])
               .run(None, {"x": x})[0]}
    columns = []
    for run in runners.values():
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                columns.append([str(int(v)) for v in np.asarray(run(), dtype=np.float64)])
        except Exception as e:  # noqa: BLE001
            columns.append([f"error: {type(e).__name__}"] * n)
    return {"inputs": [str(v) for v in CAST_INPUTS], "runtimes": list(runners), "rows": [list(r) for r in zip(*columns)]}
