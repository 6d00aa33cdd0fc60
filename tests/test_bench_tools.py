"""The host side of `python3 build.py bench` and its Pyodide half run natively
(NumPy backend): shapes read from a model, the per-op breakdown, the report."""
import json
import sys
from pathlib import Path

import numpy as np

from tools import bench, bench_zoo, synthetic_models

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import bench_pyodide  # noqa: E402  (a script run inside Pyodide; importable natively too)


def test_conv1x1_shapes_of_mobilenetv2(tmp_path):
    (path,) = synthetic_models.ensure(tmp_path, ["mobilenetv2_random"])
    shapes = bench.conv1x1_shapes(path)
    # torchvision's MobileNetV2: 17 projections, 16 expansions, the 320->1280 head
    assert sum(s["count"] for s in shapes) == 34
    by_key = {(s["m"], s["k"], s["n"]): s for s in shapes}
    assert by_key[(112 * 112, 32, 16)]["count"] == 1     # block 1's projection
    assert by_key[(7 * 7, 320, 1280)]["count"] == 1       # the head
    assert by_key[(56 * 56, 24, 144)]["count"] == 2       # blocks 3 and 4 expand 24 -> 144 at 56x56
    assert all(len(s["nodes"]) == s["count"] for s in shapes)


def test_op_breakdown_natively(tmp_path):
    (path,) = synthetic_models.ensure(tmp_path, ["mobilenetv2_random"])
    x = np.zeros(synthetic_models.INPUT_SHAPE, np.float32)
    info = json.loads(bench_pyodide.load_model("m", str(path), x.tobytes(), json.dumps(list(x.shape))))
    assert info["input"] == "input"
    try:
        result = json.loads(bench_pyodide.op_breakdown("m", 1))
    finally:
        bench_pyodide.release("m")
    assert result["nodes"] == sum(o["count"] for o in result["ops"].values())
    kinds = result["conv_kinds"]
    assert kinds["Conv 1x1"]["count"] == 34
    assert kinds["Conv 3x3 depthwise"]["count"] + kinds["Conv 3x3 depthwise s2"]["count"] == 17
    assert kinds["Conv 3x3 s2"]["count"] == 1               # the stem
    assert abs(sum(o["pct"] for o in result["ops"].values()) - 100) < 1e-6


def _fake_runtime_result():
    m = {"ours_p50_ms": 40.0, "ours_p90_ms": 42.0, "ort_web_p50_ms": 60.0, "ort_web_p90_ms": 63.0,
         "ratio": 40 / 60, "max_abs_diff": 1e-5}
    case = {"m": 64, "k": 64, "n": 64, "gflops": 30.0, "pct_of_peak": 75.0}
    return {"runtime": {"engine": "X", "pyodide": "0.27.7", "python": "3.12.7", "numpy": "2.0.2",
                        "wasm_infer": "0.1.0", "kernels": "simd128", "ort_web": "1.30.0", "ort_web_threads": 1},
            "models": {"efficientnet_lite0": m},
            "gemm": {"peak_gflops": 40.0, "sizes": {"64": case}, "conv1x1": {"49x8x8": {**case, "count": 2}},
                     "entry_point": "e", "statistic": "s"},
            "op_breakdown": {"model": "efficientnet_lite0", "runs": 1, "nodes": 1, "nodes_ms": 1.0, "run_ms": 1.1,
                             "ops": {"Conv": {"ms": 1.0, "count": 1, "pct": 100.0}},
                             "conv_kinds": {"Conv 1x1": {"ms": 1.0, "count": 1, "pct": 100.0}}},
            "step_cost": {"kernel": {"per_step_us": 0.52, "run_us_1_node": 37.4, "steps_are": ["bound"]},
                          "numpy_out": {"per_step_us": 1.94, "run_us_1_node": 40.0, "steps_are": ["bound"]},
                          "numpy": {"per_step_us": 7.86, "run_us_1_node": 41.0, "steps_are": ["bound", "numpy"]}},
            "load_avg_1m": 1.0}


def test_json_shape_and_report():
    per_runtime = {"node": _fake_runtime_result(), "chromium": _fake_runtime_result()}
    relaxed = per_runtime["chromium"]["gemm"]          # the relaxed module: an FMA peak too
    relaxed.update(kernels="relaxed", fma_peak_gflops=55.0)
    relaxed["sizes"]["64"] = {**relaxed["sizes"]["64"], "pct_of_fma_peak": 54.6}
    result = bench.collect(per_runtime)
    assert set(result) == {"models", "gemm", "op_breakdown", "step_cost"}
    assert result["step_cost"]["chromium"]["numpy"]["per_step_us"] == 7.86
    assert set(result["models"]["efficientnet_lite0"]) == {"node", "chromium"}
    for key in ("ours_p50_ms", "ours_p90_ms", "ort_web_p50_ms", "ort_web_p90_ms", "ratio", "max_abs_diff"):
        assert key in result["models"]["efficientnet_lite0"]["chromium"]
    assert result["gemm"]["node"]["sizes"]["64"]["pct_of_peak"] == 75.0
    text = bench.format_report(result, per_runtime, runs=30)
    assert "efficientnet_lite0" in text and "0.67" in text and "Conv 1x1" in text
    assert "FMA 55.0" in text and "55%" in text
    assert "Fixed cost of one planned step" in text and "7.9" in text and "37.4" in text


def _fake_swap_result(standby, failures=0):
    """The shape tools/bench_swap.mjs --json prints."""
    p = lambda n, p50, p99: {"requests": n, "p50": p50, "p99": p99, "max": p99 + 1, "mean": p50}
    swap = {"ms": 700.0, "worker_ms": 0.3 if standby else 2000.0, "load_ms": 300.0, "warmup_ms": 90.0,
            "paused_ms": 350.0, **p(40, 30.0, 40.0)}
    return {"standby": standby, "pace": {"workMs": 3, "sleepMs": 7}, "engine": "Chromium 150", "backend": "relaxed", "model": "model.onnx",
            "failures": failures, "errors": [], "swaps": [swap] * 3, "per_swap": [swap] * 3,
            "phases": {"steady": p(200, 28.0, 38.0), "during": p(120, 30.0, 41.8), "after": p(60, 28.0, 39.0)},
            "during_by_step": {"model load": p(80, 31.0, 42.0)},
            "ratio_p99_during_vs_steady": 41.8 / 38.0, "ratio_p50_during_vs_steady": 30.0 / 28.0,
            "target_ratio": 1.25, "pass": failures == 0, "load_avg_1m": {"start": 0.4, "end": 1.1}}


def test_swap_section_json_and_report():
    per_runtime = {"chromium": _fake_runtime_result()}
    result = bench.collect(per_runtime)
    result["swap"] = {"cold": bench.swap_summary(_fake_swap_result(False)),
                      "standby": bench.swap_summary(_fake_swap_result(True, failures=2))}
    cold = result["swap"]["cold"]
    for key in ("steady", "during", "after"):
        assert set(cold[key]) == {"requests", "p50", "p99", "max"}
    assert cold["during"]["requests"] == 120 and cold["steady"]["requests"] == 200
    assert abs(cold["ratio_p99_during_vs_steady"] - 1.1) < 1e-9 and cold["pass"] and cold["swaps"] == 3
    assert cold["failed_requests"] == 0 and result["swap"]["standby"]["failed_requests"] == 2
    assert len(cold["per_swap"]) == 3 and cold["per_swap"][0]["requests"] == 40
    assert cold["pace"] == {"workMs": 3, "sleepMs": 7} and cold["per_swap"][0]["paused_ms"] == 350.0
    json.dumps(result)
    text = bench.format_report(result, per_runtime, runs=30)
    assert "Hot swap" in text and "1.10" in text and "standby" in text and "target not met" in text
    assert "paced 3 ms work / 7 ms sleep" in text


def test_zoo_summary_and_report(monkeypatch):
    """bench --zoo (tools/bench_zoo.py): outputs against native within each entry's tolerance, the geometric
    mean of the ratios, and the zoo tables after the runtime lines."""
    entry = {"key": "tiny", "title": "Tiny", "source": "s", "inputs": [], "outputs": [], "rtol": 1e-4, "notes": ""}
    monkeypatch.setattr(bench_zoo, "zoo_manifest", lambda: {"models": [entry, {**entry, "key": "other"}]})
    per_runtime = {rt: _fake_runtime_result() for rt in ("node", "chromium")}
    for rt, (ratio, rel) in {"node": (0.5, 2e-5), "chromium": (2.0, 3e-4)}.items():
        per_runtime[rt]["models"] = {"tiny": {**per_runtime[rt]["models"]["efficientnet_lite0"], "ratio": ratio,
                                              "native": [{"relative": rel}, {"relative": rel / 2}]}}
        per_runtime[rt]["zoo_breakdown"] = {"tiny": {
            "runs": 5, "planned": True, "nodes": 2, "nodes_ms": 3.0, "numpy_ms": 1.0, "numpy_pct": 33.3,
            "ops": {"Conv": {"count": 2, "kernel_count": 1, "ms": 3.0, "pct": 100.0, "numpy_ms": 1.0}}}}
    result = bench.collect(per_runtime)
    result["zoo"] = bench_zoo.zoo_summary(result, {"models": [{"key": "tiny", "rtol": 1e-4}]})
    assert result["models"]["tiny"]["node"]["matches_native"] is True
    assert result["models"]["tiny"]["chromium"]["matches_native"] is False          # 3e-4 > 1e-4
    assert result["zoo"]["geomean_ratio"] == {"node": 0.5, "chromium": 2.0}
    assert [m["key"] for m in result["zoo"]["models"]] == ["tiny"]
    json.dumps(result)
    lines = bench_zoo.format_report(result, per_runtime, runs=2).splitlines()
    assert lines[0].startswith("node ") and lines[1].startswith("chromium ")
    assert any(line.startswith("Zoo models:") for line in lines)
    row = next(line for line in lines if line.startswith("tiny "))
    assert row.split()[1:] == ["node", "40.0", "60.0", "0.50", "-", "2.0e-05", "1.0e-04", "yes", "1.0e-05", "33", "-"]
    assert any(line.split()[:1] == ["chromium"] and " NO " in line for line in lines)
    assert "geometric mean of the ratios: node 0.50, chromium 2.00" in lines
    assert any(line.startswith("tiny by op type") for line in lines)


def test_zoo_int8_against_float(monkeypatch):
    """bench --zoo pairs `<key>_int8...` with `<key>` from the same run: speed-up, ratio to onnxruntime-web
    int8 and top-1 agreement on the photos; a quantized model without its original in the run is left out.
    The speed-up comes from the pair's interleaved loop when it ran (result["pairs"]), else from the two
    models' own rows, marked with a *."""
    entry = {"key": "net", "title": "Net", "source": "s", "inputs": [], "outputs": [], "rtol": 1e-4, "notes": ""}
    keys = ["net", "net_int8", "net_int8_qop", "lone_int8"]
    monkeypatch.setattr(bench_zoo, "zoo_manifest", lambda: {"models": [{**entry, "key": k} for k in keys]})
    base = _fake_runtime_result()["models"]["efficientnet_lite0"]
    top = {"net": {"a.png": 1, "b.png": 2}, "net_int8": {"a.png": 1, "b.png": 3}, "net_int8_qop": {"a.png": 1, "b.png": 2}}
    p50 = {"net": 30.0, "net_int8": 20.0, "net_int8_qop": 15.0, "lone_int8": 5.0}
    per_runtime = {"node": _fake_runtime_result()}
    per_runtime["node"]["models"] = {k: {**base, "ours_p50_ms": p50[k], "ratio": p50[k] / 60, "native": [],
                                         **({"top1": top[k]} if k in top else {})} for k in keys}
    per_runtime["node"]["pairs"] = {"net_int8": {"float": "net", "int8_p50_ms": 18.0, "fp32_p50_ms": 36.0,
                                                 "speedup": 2.0, "runs": 10}}
    result = bench.collect(per_runtime)
    result["zoo"] = bench_zoo.zoo_summary(result, {"models": [{"key": k, "rtol": 1e-4} for k in keys]})
    rows = {r["key"]: r for r in result["zoo"]["int8"]}
    assert set(rows) == {"net_int8", "net_int8_qop"}
    assert rows["net_int8"]["float"] == "net" and rows["net_int8"]["speedup"] == 2.0 and rows["net_int8"]["interleaved"]
    assert rows["net_int8_qop"]["interleaved"] is False
    assert (rows["net_int8"]["top1_same"], rows["net_int8"]["photos"]) == (1, 2)
    assert (rows["net_int8_qop"]["top1_same"], rows["net_int8_qop"]["speedup"]) == (2, 2.0)
    lines = bench_zoo.format_report(result, per_runtime, runs=2).splitlines()
    section = lines[next(i for i, line in enumerate(lines) if line.startswith("Quantized models against")):]
    row = next(line for line in section if line.startswith("net_int8 "))
    assert row.split() == ["net_int8", "node", "18.0", "36.0", "2.00", "0.33", "1/2"]
    row = next(line for line in section if line.startswith("net_int8_qop "))
    assert row.split() == ["net_int8_qop", "node", "15.0", "30.0", "2.00*", "0.25", "2/2"]


def test_top1_of_the_photos_natively(tmp_path):
    """bench_pyodide.top1 feeds each raw photo file to the model's one input and returns the argmax."""
    from onnx import TensorProto, helper
    graph = helper.make_graph([helper.make_node("ReduceMean", ["x"], ["y"], axes=[2, 3], keepdims=0)], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 2, 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    (tmp_path / "m.onnx").write_bytes(model.SerializeToString())
    x = np.zeros((1, 3, 2, 2), np.float32)
    feeds = tmp_path / "x.bin"
    x.tofile(feeds)
    specs = []
    for i, channel in enumerate((2, 0)):
        photo = np.zeros_like(x)
        photo[0, channel] = 1.0
        path = tmp_path / f"p{i}.bin"
        photo.astype("<f4").tofile(path)
        specs.append({"name": f"p{i}.png", "path": str(path)})
    bench_pyodide.load_zoo_model("t", str(tmp_path / "m.onnx"), json.dumps(
        [{"name": "x", "dtype": "float32", "shape": [1, 3, 2, 2], "path": str(feeds)}]), _empty_npz(tmp_path))
    try:
        assert json.loads(bench_pyodide.top1("t", json.dumps(specs))) == {"p0.png": 2, "p1.png": 0}
    finally:
        bench_pyodide.release("t")


def _empty_npz(tmp_path):
    path = tmp_path / "ref.npz"
    np.savez(path)
    return str(path)


def _nested_if_model():
    """If(c) whose then branch is Add -> If(c2) -> (Relu | Neg): planned branches at two depths."""
    from onnx import TensorProto, helper, numpy_helper
    out = lambda n: [helper.make_tensor_value_info(n, TensorProto.FLOAT, None)]   # noqa: E731
    inner = helper.make_node("If", ["c2"], ["r"], name="inner_if",
                             then_branch=helper.make_graph([helper.make_node("Relu", ["a"], ["t"], name="relu")],
                                                           "t", [], out("t")),
                             else_branch=helper.make_graph([helper.make_node("Neg", ["a"], ["e"], name="neg")],
                                                           "e", [], out("e")))
    then_g = helper.make_graph([helper.make_node("Add", ["x", "w"], ["a"], name="add"), inner], "then", [], out("r"))
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["n"], name="neg_outer")], "else", [], out("n"))
    graph = helper.make_graph(
        [helper.make_node("If", ["c"], ["y"], name="outer_if", then_branch=then_g, else_branch=else_g)], "g",
        [helper.make_tensor_value_info("c", TensorProto.BOOL, []),
         helper.make_tensor_value_info("c2", TensorProto.BOOL, []),
         helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        out("y"), [numpy_helper.from_array(np.linspace(-1, 1, 4, dtype=np.float32), "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    return model.SerializeToString()


def test_breakdown_counts_planned_if_branches_as_their_steps():
    """The steps of planned If branches (at every depth) are profiled as their
    own op types and kinds; each If keeps only its own time."""
    import wasm_infer
    from wasm_infer.subgraph_plans import profiling
    sess = wasm_infer.InferenceSession(_nested_if_model(), backend="numpy")
    x = np.linspace(-2, 2, 8, dtype=np.float32).reshape(2, 4)
    feeds = {"c": np.array(True), "c2": np.array(True), "x": x}
    # both conditions flip once, so that neither If stays inlined into the plan around it
    # (inline_if): each branch runs on a plan of its own
    for c, c2 in [(1, 1), (0, 1), (1, 1), (1, 0), (1, 1), (1, 1), (1, 1), (1, 1)]:
        sess.run(None, {"c": np.array(bool(c)), "c2": np.array(bool(c2)), "x": x})
    steps = bench_pyodide.profiled_steps(sess, feeds)
    assert sorted((t, n, h) for t, n, _, h in steps) == [
        ("Add", "add", "kernel"), ("If", "inner_if", "numpy"), ("If", "outer_if", "numpy"), ("Relu", "relu", "kernel")]
    assert all(ms >= 0 for _, _, ms, _ in steps)
    # each If's own time is what it took minus its branch's steps (inner ones included in them)
    with profiling() as prof:
        (outer,) = sess.profile_run(feeds)
    by_name = {n: ms for _, n, ms, _ in prof.records}
    assert prof.inner_ms["outer_if"] == by_name["add"] + by_name["inner_if"]
    assert prof.inner_ms["inner_if"] == by_name["relu"]
    assert prof.own_ms("outer_if", outer[2]) == outer[2] - by_name["add"] - by_name["inner_if"]
    # outside profiling() nothing is collected and results are unchanged
    want = np.maximum(feeds["x"] + np.linspace(-1, 1, 4, dtype=np.float32), 0)
    np.testing.assert_array_equal(sess.run(None, feeds)[0], want)
    bench_pyodide.SESSIONS["nested_if"] = (sess, feeds)
    try:
        result = json.loads(bench_pyodide.op_breakdown("nested_if", 2, by_kernel=True))
    finally:
        bench_pyodide.release("nested_if")
    ops = result["ops"]
    assert {t: (o["count"], o["kernel_count"]) for t, o in ops.items()} == {"If": (2, 0), "Add": (1, 1), "Relu": (1, 1)}
    assert result["planned"] and result["nodes"] == 4
    assert ops["If"]["numpy_ms"] == ops["If"]["ms"] and ops["Add"]["kernel_ms"] == ops["Add"]["ms"]
