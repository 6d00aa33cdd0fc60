"""wasm_infer.onnxruntime against the real onnxruntime in .venv: the API
surface (names and parameter names) and behaviour on small models (outputs,
NodeArgs, metadata, errors, OrtValue, IO binding, profiling, options).

The drop-in is used here as a module (`wasm_infer.onnxruntime as wort`), next
to the real one; install_as_onnxruntime() and real client libraries run in a
subprocess (test_ort_compat_clients.py) so the real onnxruntime is never
shadowed for other tests."""
import inspect
import json
import re
import warnings

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import wasm_infer
import wasm_infer.onnxruntime as wort
from wasm_infer.onnxruntime.capi import onnxruntime_pybind11_state as wstate
from onnxruntime.capi import onnxruntime_pybind11_state as ostate

# (owner, attribute) pairs the brief lists: owner None is the module itself
SURFACE = {
    None: ["InferenceSession", "SessionOptions", "RunOptions", "GraphOptimizationLevel", "ExecutionMode",
           "NodeArg", "ModelMetadata", "OrtValue", "IOBinding", "get_available_providers", "get_all_providers",
           "get_device", "set_default_logger_severity", "set_default_logger_verbosity", "__version__",
           "disable_telemetry_events", "enable_telemetry_events", "get_version_string", "set_seed", "capi"],
    "InferenceSession": ["__init__", "run", "run_async", "run_with_ort_values", "get_inputs", "get_outputs",
                         "get_overridable_initializers", "get_modelmeta", "get_providers", "get_provider_options",
                         "get_session_options", "io_binding", "run_with_iobinding", "end_profiling",
                         "get_profiling_start_time_ns", "set_providers", "disable_fallback", "enable_fallback"],
    "SessionOptions": ["graph_optimization_level", "intra_op_num_threads", "inter_op_num_threads", "execution_mode",
                       "execution_order", "log_severity_level", "log_verbosity_level", "logid", "enable_profiling",
                       "profile_file_prefix", "enable_cpu_mem_arena", "enable_mem_pattern", "enable_mem_reuse",
                       "optimized_model_filepath", "use_deterministic_compute", "add_session_config_entry",
                       "get_session_config_entry", "register_custom_ops_library", "add_initializer",
                       "add_free_dimension_override_by_name", "add_free_dimension_override_by_denotation"],
    "RunOptions": ["log_severity_level", "log_verbosity_level", "logid", "terminate", "only_execute_path_to_fetches",
                   "add_run_config_entry", "get_run_config_entry"],
    "OrtValue": ["ortvalue_from_numpy", "ortvalue_from_shape_and_type", "numpy", "shape", "data_type",
                 "element_type", "is_tensor", "is_sparse_tensor", "has_value", "device_name", "data_ptr",
                 "update_inplace"],
    "IOBinding": ["bind_cpu_input", "bind_input", "bind_output", "bind_ortvalue_input", "bind_ortvalue_output",
                  "copy_outputs_to_cpu", "get_outputs", "clear_binding_inputs", "clear_binding_outputs",
                  "synchronize_inputs", "synchronize_outputs"],
    "GraphOptimizationLevel": ["ORT_DISABLE_ALL", "ORT_ENABLE_BASIC", "ORT_ENABLE_EXTENDED", "ORT_ENABLE_ALL"],
    "ExecutionMode": ["ORT_SEQUENTIAL", "ORT_PARALLEL"],
}
EXCEPTIONS = ["Fail", "InvalidArgument", "NoSuchFile", "NoModel", "EngineError", "RuntimeException",
              "InvalidProtobuf", "ModelLoaded", "NotImplemented", "InvalidGraph", "EPFail"]


def _params(fn):
    """Parameter names of a Python function, or of a pybind11 one from its docstring."""
    try:
        return [p for p in inspect.signature(fn).parameters if p not in ("self", "kwargs", "args")]
    except (TypeError, ValueError):
        first = (fn.__doc__ or "").strip().splitlines()[0]
        inside = re.search(r"\((.*)\)", first)
        names = [a.split(":")[0].strip() for a in inside.group(1).split(",")] if inside and inside.group(1) else []
        return [n for n in names if n and n not in ("self", "*args", "**kwargs")]


@pytest.mark.parametrize("owner", list(SURFACE), ids=lambda o: o or "module")
def test_surface_matches_onnxruntime(owner):
    real = ort if owner is None else getattr(ort, owner)
    ours = wort if owner is None else getattr(wort, owner)
    for name in SURFACE[owner]:
        assert hasattr(real, name), f"the list is wrong: onnxruntime has no {owner}.{name}"
        if owner in ("SessionOptions", "RunOptions") and not callable(getattr(real(), name)):
            assert hasattr(ours(), name), f"{owner}().{name} missing"
            continue
        assert hasattr(ours, name), f"wasm_infer.onnxruntime has no {owner or 'module'}.{name}"
        r, o = getattr(real, name), getattr(ours, name)
        if callable(r) and not isinstance(r, type) and name != "__init__" or name == "__init__" and owner:
            want, got = _params(r), _params(o)
            # every parameter onnxruntime names (in its order) is accepted under that name;
            # pybind11's positional-only argN only needs a parameter at that position
            assert len(got) >= len(want) and all(w == g or re.fullmatch(r"arg\d+", w) for w, g in zip(want, got)), \
                f"{owner}.{name}: onnxruntime takes {want}, ours {got}"


def test_exception_classes_and_mapping():
    for name in EXCEPTIONS:
        assert hasattr(ostate, name) and issubclass(getattr(wstate, name), Exception), name
    e = wstate.translate(wasm_infer.InputError("bad feed"))
    assert isinstance(e, wstate.InvalidArgument) and isinstance(e, wasm_infer.InputError)
    assert str(e) == "[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : bad feed"
    assert isinstance(wstate.translate(wasm_infer.UnsupportedError("x")), wstate.NotImplemented)
    assert isinstance(wstate.translate(wasm_infer.ResourceError("x")), wstate.RuntimeException)
    assert isinstance(wstate.translate(wasm_infer.ModelError("x"), loading=True), wstate.InvalidGraph)
    assert type(e).__name__ == "InvalidArgument" and type(e).__module__ == wstate.__name__


def _model(path=None, with_initializer_input=True):
    """y = x @ W + b (b an overridable initializer), z = ReLU(y), with metadata."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["xw"], name="mm"),
             helper.make_node("Add", ["xw", "b"], ["y"], name="add"),
             helper.make_node("Relu", ["y"], ["z"], name="relu")]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])]
    if with_initializer_input:
        inputs.append(helper.make_tensor_value_info("b", TensorProto.FLOAT, [3]))
    graph = helper.make_graph(nodes, "tiny_graph", inputs,
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3]),
                               helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 3])],
                              [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "b")],
                              doc_string="the graph's doc")
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="ort-compat-test",
                              domain="test.domain", model_version=7, doc_string="a tiny model", ir_version=8)
    helper.set_model_props(model, {"author": "tests", "license": "none"})
    data = model.SerializeToString()
    if path is not None:
        path.write_bytes(data)
    return data


def test_outputs_nodeargs_and_metadata_match_onnxruntime(tmp_path):
    path = tmp_path / "tiny.onnx"
    _model(path)
    real, ours = ort.InferenceSession(str(path)), wort.InferenceSession(str(path))
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    for names in (None, [], ["z"], ["z", "y"]):
        for a, b in zip(real.run(names, {"x": x}), ours.run(names, {"x": x}), strict=True):
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)
    # a list feed is built with the input's dtype, as onnxruntime does
    np.testing.assert_allclose(ours.run(None, {"x": x.tolist()})[0], real.run(None, {"x": x.tolist()})[0], atol=1e-6)
    as_tuple = lambda args: [(a.name, a.type, a.shape) for a in args]  # noqa: E731
    assert as_tuple(ours.get_inputs()) == as_tuple(real.get_inputs())
    assert as_tuple(ours.get_outputs()) == as_tuple(real.get_outputs())
    assert as_tuple(ours.get_overridable_initializers()) == as_tuple(real.get_overridable_initializers())
    rm, om = real.get_modelmeta(), ours.get_modelmeta()
    for field in ("producer_name", "graph_name", "domain", "description", "graph_description", "version",
                  "custom_metadata_map"):
        assert getattr(om, field) == getattr(rm, field), field
    assert ours.get_providers() == real.get_providers() == ["CPUExecutionProvider"]
    assert wort.get_available_providers() == ["CPUExecutionProvider"] and wort.get_device() == ort.get_device()
    assert set(wort.get_all_providers()) >= {"CPUExecutionProvider", "CUDAExecutionProvider"}


def test_metadata_defaults_match_onnxruntime():
    graph = helper.make_graph([helper.make_node("Neg", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8).SerializeToString()
    rm, om = ort.InferenceSession(data).get_modelmeta(), wort.InferenceSession(data).get_modelmeta()
    assert (om.version, om.producer_name, om.custom_metadata_map) == (rm.version, rm.producer_name,
                                                                      rm.custom_metadata_map)


def test_errors_are_onnxruntime_classes_and_ours(tmp_path):
    data = _model()
    with pytest.raises(wstate.NoSuchFile) as e:
        wort.InferenceSession(str(tmp_path / "missing.onnx"))
    assert isinstance(e.value, wasm_infer.WasmInferError)
    with pytest.raises(ostate.NoSuchFile):
        ort.InferenceSession(str(tmp_path / "missing.onnx"))
    with pytest.raises(wstate.InvalidProtobuf) as e:
        wort.InferenceSession(b"garbage\x00\x01")
    assert isinstance(e.value, wasm_infer.ModelError)
    sess = wort.InferenceSession(data)
    with pytest.raises(wstate.InvalidArgument) as e:
        sess.run(None, {"x": np.zeros((1, 4), np.float64)})
    assert isinstance(e.value, wasm_infer.InputError) and "INVALID_ARGUMENT" in str(e.value)
    with pytest.raises(ostate.InvalidArgument):
        ort.InferenceSession(data).run(None, {"x": np.zeros((1, 4), np.float64)})
    for lib in (wort, ort):         # a missing feed: ValueError in both
        with pytest.raises(ValueError, match="missing"):
            lib.InferenceSession(data).run(None, {"other": np.zeros((1, 4), np.float32)})
    with pytest.raises(wstate.InvalidArgument):
        sess.run(["no_such_output"], {"x": np.zeros((1, 4), np.float32)})
    unsupported = helper.make_model(helper.make_graph(
        [helper.make_node("NoSuchOp", ["x"], ["y"], domain="com.example")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])]),
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)], ir_version=8)
    with pytest.raises(wstate.NotImplemented) as e:
        wort.InferenceSession(unsupported.SerializeToString())
    assert isinstance(e.value, wasm_infer.UnsupportedError)
    with pytest.raises(wstate.NotImplemented):
        wort.SessionOptions().register_custom_ops_library("libcustom.so")


def test_ortvalue_and_run_with_ort_values():
    data = _model()
    x = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
    rv, ov = ort.OrtValue.ortvalue_from_numpy(x), wort.OrtValue.ortvalue_from_numpy(x)
    for method in ("shape", "data_type", "element_type", "is_tensor", "has_value", "device_name"):
        assert getattr(ov, method)() == getattr(rv, method)(), method
    np.testing.assert_array_equal(ov.numpy(), rv.numpy())
    real = ort.InferenceSession(data).run_with_ort_values(["z"], {"x": rv})
    ours = wort.InferenceSession(data).run_with_ort_values(["z"], {"x": ov})
    assert isinstance(ours[0], wort.OrtValue)
    np.testing.assert_allclose(ours[0].numpy(), real[0].numpy(), atol=1e-6)
    with pytest.raises(wstate.InvalidArgument, match="cannot hold"):
        wort.OrtValue.ortvalue_from_numpy(np.array([object(), 1]))
    with pytest.raises(wstate.InvalidArgument, match="cannot hold"):
        wort.OrtValue.ortvalue_from_numpy(np.zeros(2, "datetime64[s]"))
    with pytest.raises(wstate.InvalidArgument, match="CPU only"):
        wort.OrtValue.ortvalue_from_numpy(x, "cuda")


def test_io_binding_matches_onnxruntime():
    data = _model()
    x = np.random.default_rng(3).standard_normal((2, 4)).astype(np.float32)
    got = {}
    for lib in (ort, wort):
        sess = lib.InferenceSession(data)
        binding = sess.io_binding()
        binding.bind_cpu_input("x", x)
        binding.bind_output("y")
        z = lib.OrtValue.ortvalue_from_shape_and_type([2, 3], np.float32, "cpu")
        binding.bind_ortvalue_output("z", z)
        sess.run_with_iobinding(binding)
        y_cpu, z_cpu = binding.copy_outputs_to_cpu()
        got[lib] = (y_cpu, z_cpu, z.numpy().copy(), [v.shape() for v in binding.get_outputs()])
        binding.clear_binding_inputs()
        binding.clear_binding_outputs()
    for a, b in zip(got[ort][:3], got[wort][:3]):
        np.testing.assert_allclose(b, a, atol=1e-6)
    assert got[ort][3] == got[wort][3]


def test_profiling_writes_onnxruntime_trace_format(tmp_path):
    options = wort.SessionOptions()
    options.enable_profiling = True
    options.profile_file_prefix = str(tmp_path / "prof")
    sess = wort.InferenceSession(_model(), options)
    x = np.ones((2, 4), np.float32)
    sess.run(None, {"x": x})
    sess.run(None, {"x": x})
    path = sess.end_profiling()
    assert path.startswith(str(tmp_path / "prof_")) and path.endswith(".json")
    events = json.loads(open(path).read())
    assert {e["cat"] for e in events} == {"Session", "Node"}
    assert sum(e["name"] == "model_run" for e in events) == 2
    nodes = [e for e in events if e["cat"] == "Node"]
    assert {e["args"]["op_name"] for e in nodes} & {"MatMul", "Gemm", "Relu", "Add", "FusedMatMul"}
    for e in events:
        assert set(e) >= {"cat", "pid", "tid", "dur", "ts", "ph", "name", "args"} and e["ph"] == "X"
        assert isinstance(e["dur"], int) and e["dur"] >= 0 and e["ts"] >= 0
    assert all(e["name"].endswith("_kernel_time") and e["args"]["provider"] == "CPUExecutionProvider" for e in nodes)
    assert wort.InferenceSession(_model()).end_profiling() == ""


def test_options_and_providers_warn_and_fall_back():
    data = _model()
    with pytest.warns(UserWarning, match="CUDAExecutionProvider.*not in available"):
        sess = wort.InferenceSession(data, providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert sess.get_providers() == ["CPUExecutionProvider"]
    with pytest.warns(UserWarning, match="not in available"):
        wort.InferenceSession(data, providers=[("CUDAExecutionProvider", {"device_id": 0})])
    options = wort.SessionOptions()
    options.intra_op_num_threads = 4
    options.graph_optimization_level = wort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.add_session_config_entry("session.use_env_allocators", "1")
    options.log_severity_level = 3          # honoured: no warning for it
    with pytest.warns(wort.OrtCompatWarning) as caught:
        wort.InferenceSession(data, options)
    text = " ".join(str(w.message) for w in caught)
    assert "intra_op_num_threads=4" in text and "ORT_DISABLE_ALL" in text and "use_env_allocators" in text
    assert "log_severity_level" not in text
    assert options.get_session_config_entry("session.use_env_allocators") == "1"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wort.InferenceSession(data, wort.SessionOptions(), providers=["CPUExecutionProvider"])
        wort.set_default_logger_severity(3)
    with pytest.raises(AttributeError):
        options.intra_op_threads = 2        # a typo, refused as onnxruntime's pybind11 object refuses it


def test_run_options_terminate_fails_as_in_onnxruntime():
    data = _model()
    x = {"x": np.ones((1, 4), np.float32)}
    for lib, state in ((ort, ostate), (wort, wstate)):
        options = lib.RunOptions()
        options.terminate = True
        with pytest.raises(state.Fail, match="terminate flag"):
            lib.InferenceSession(data).run(None, x, options)
        options.terminate = False
        assert lib.InferenceSession(data).run(None, x, options)[0].shape == (1, 3)


def test_overridable_initializer_can_be_fed_as_in_onnxruntime():
    data = _model()
    x = np.ones((2, 4), np.float32)
    b = np.array([10.0, -10.0, 0.5], np.float32)
    real = ort.InferenceSession(data).run(["y"], {"x": x, "b": b})[0]
    ours = wort.InferenceSession(data).run(["y"], {"x": x, "b": b})[0]
    np.testing.assert_allclose(ours, real, atol=1e-5)


def test_run_config_timeout_entry_reaches_the_run():
    sess = wort.InferenceSession(_model())
    options = wort.RunOptions()
    options.add_run_config_entry("wasm_infer.timeout_s", "30")
    assert sess.run(None, {"x": np.ones((1, 4), np.float32)}, options)[0].shape == (1, 3)
    assert options.get_run_config_entry("wasm_infer.timeout_s") == "30"
    options.add_run_config_entry("wasm_infer.timeout_s", "soon")
    with pytest.raises(wstate.InvalidArgument, match="positive number of seconds"):
        sess.run(None, {"x": np.ones((1, 4), np.float32)}, options)
