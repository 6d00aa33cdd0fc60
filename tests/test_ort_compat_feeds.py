"""wasm_infer.onnxruntime against the real onnxruntime on what ordinary client
code does with feeds, NodeArgs, run-time errors, options and imports: each
case here once differed from onnxruntime in a way that broke such code."""
import importlib
import warnings

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import wasm_infer
import wasm_infer.onnxruntime as wort
from onnxruntime.capi import onnxruntime_pybind11_state as ostate
from wasm_infer.onnxruntime.capi import onnxruntime_pybind11_state as wstate

F, S = TensorProto.FLOAT, TensorProto.STRING


def _bytes(nodes, inputs, outputs):
    graph = helper.make_graph(nodes, "g", inputs, outputs)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8).SerializeToString()


def _both(data):
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"]), wort.InferenceSession(data)


def test_a_numpy_string_array_feeds_a_string_input_as_in_onnxruntime():
    data = _bytes([helper.make_node("Identity", ["s"], ["t"])], [helper.make_tensor_value_info("s", S, [None])],
                  [helper.make_tensor_value_info("t", S, [None])])
    text = np.array(["a", "bc", "déjà"])                 # dtype <U4, not object
    for sess in _both(data):
        (t,) = sess.run(None, {"s": text})
        assert t.dtype == object and t.tolist() == ["a", "bc", "déjà"]
    with pytest.raises(wasm_infer.InputError, match=r"convert it with \.astype\(object\)"):
        wasm_infer.InferenceSession(data).run(None, {"s": np.arange(3)})


def test_a_declared_scalar_takes_a_one_element_feed_and_a_0d_ortvalue_stays_0d():
    data = _bytes([helper.make_node("Mul", ["x", "s"], ["y"])],
                  [helper.make_tensor_value_info("x", F, [3]), helper.make_tensor_value_info("s", F, [])],
                  [helper.make_tensor_value_info("y", F, None)])
    x = np.arange(3, dtype=np.float32)
    real, ours = _both(data)
    for s in (np.array(2.0, np.float32), np.array([2.0], np.float32), np.array([[2.0]], np.float32)):
        (want,), (got,) = real.run(None, {"x": x, "s": s}), ours.run(None, {"x": x, "s": s})
        np.testing.assert_array_equal(got, want)
        assert got.shape == want.shape
    with pytest.raises(wstate.InvalidArgument, match="rank"):       # more than one element is no scalar
        ours.run(None, {"x": x, "s": np.ones(2, np.float32)})
    for lib in (ort, wort):
        value = lib.OrtValue.ortvalue_from_numpy(np.array(2.0, np.float32))
        assert value.shape() == [] and value.numpy().shape == ()
    (y,) = ours.run_with_ort_values(None, {"x": wort.OrtValue.ortvalue_from_numpy(x),
                                           "s": wort.OrtValue.ortvalue_from_numpy(np.array(2.0, np.float32))})
    np.testing.assert_array_equal(y.numpy(), 2 * x)


def test_nodearg_shapes_are_always_lists_and_nodeargs_are_hashable():
    data = _bytes([helper.make_node("Relu", ["x"], ["y"])], [helper.make_tensor_value_info("x", F, None)],
                  [helper.make_tensor_value_info("y", F, None)])
    real, ours = _both(data)
    for sess in (real, ours):
        for arg in sess.get_inputs() + sess.get_outputs():
            assert isinstance(arg.shape, list), (sess, arg)
    assert ours.get_inputs()[0].shape == real.get_inputs()[0].shape == []
    args = set(ours.get_inputs()) | set(ours.get_outputs())
    assert {a.name for a in args} == {"x", "y"} and ours.get_inputs()[0] in args


def test_output_names_given_as_a_str_is_a_type_error_as_in_onnxruntime():
    data = _bytes([helper.make_node("Relu", ["x"], ["y"])], [helper.make_tensor_value_info("x", F, [2])],
                  [helper.make_tensor_value_info("y", F, [2])])
    feeds = {"x": np.ones(2, np.float32)}
    for sess in _both(data) + (wasm_infer.InferenceSession(data),):
        with pytest.raises(TypeError):
            sess.run("y", feeds)


def test_a_node_failing_at_run_time_is_fail_as_in_onnxruntime():
    data = _bytes([helper.make_node("Add", ["a", "b"], ["c"], name="add")],
                  [helper.make_tensor_value_info("a", F, None), helper.make_tensor_value_info("b", F, None)],
                  [helper.make_tensor_value_info("c", F, None)])
    feeds = {"a": np.ones(3, np.float32), "b": np.ones(4, np.float32)}
    real, ours = _both(data)
    with pytest.raises(ostate.Fail):
        real.run(None, feeds)
    with pytest.raises(wstate.Fail, match=r"\[ONNXRuntimeError\] : 1 : FAIL : node 'add' \(Add\)") as e:
        ours.run(None, feeds)
    assert isinstance(e.value, wasm_infer.ModelError)


def test_options_that_already_hold_here_do_not_warn():
    data = _bytes([helper.make_node("Relu", ["x"], ["y"])], [helper.make_tensor_value_info("x", F, [2])],
                  [helper.make_tensor_value_info("y", F, [2])])
    options = wort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = wort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # a test suite run with -W error
        wort.InferenceSession(data, options)
    options.intra_op_num_threads = 2            # what cannot hold here is still reported
    with pytest.warns(wort.OrtCompatWarning, match="intra_op_num_threads=2"):
        wort.InferenceSession(data, options)


def test_the_capi_modules_hold_the_functions_and_classes_onnxruntime_has_there():
    for module in ("_pybind_state", "onnxruntime_pybind11_state"):
        real = importlib.import_module(f"onnxruntime.capi.{module}")
        ours = importlib.import_module(f"wasm_infer.onnxruntime.capi.{module}")
        for name in ("get_available_providers", "get_all_providers", "get_device", "set_default_logger_severity",
                     "SessionOptions", "RunOptions", "OrtValue", "GraphOptimizationLevel", "ExecutionMode",
                     "ModelMetadata", "NodeArg"):
            assert hasattr(real, name), f"the list is wrong: onnxruntime.capi.{module} has no {name}"
            assert getattr(ours, name) is getattr(wort, name), (module, name)
    from wasm_infer.onnxruntime.capi._pybind_state import get_available_providers
    assert get_available_providers() == ["CPUExecutionProvider"]
    from onnxruntime.capi import onnxruntime_inference_collection as real_collection
    from wasm_infer.onnxruntime.capi import onnxruntime_inference_collection as collection
    for name in ("InferenceSession", "IOBinding", "OrtValue"):
        assert hasattr(real_collection, name) and getattr(collection, name) is getattr(wort, name)
    with pytest.raises(AttributeError):
        wstate.no_such_name


def test_sequence_and_optional_values_are_typed_as_onnxruntime_types_them():
    seq = helper.make_tensor_sequence_value_info("seq", F, None)
    opt = helper.make_value_info("opt", helper.make_optional_type_proto(helper.make_tensor_type_proto(F, [2])))
    data = _bytes([helper.make_node("SequenceConstruct", ["x", "x"], ["seq"]),
                   helper.make_node("Optional", ["x"], ["opt"])],
                  [helper.make_tensor_value_info("x", F, [2])], [seq, opt])
    real, ours = _both(data)
    assert [o.type for o in ours.get_outputs()] == [o.type for o in real.get_outputs()] == \
        ["seq(tensor(float))", "optional(tensor(float))"]
    assert [o.type for o in wasm_infer.InferenceSession(data).get_outputs()] == \
        ["seq(tensor(float))", "optional(tensor(float))"]
    seq, opt = ours.run(None, {"x": np.ones(2, np.float32)})
    assert len(seq) == 2 and opt.shape == (2,)


def test_run_async_calls_back_with_results_or_the_error_as_onnxruntime_does():
    import threading
    data = _bytes([helper.make_node("Add", ["a", "b"], ["c"], name="add")],
                  [helper.make_tensor_value_info("a", F, None), helper.make_tensor_value_info("b", F, None)],
                  [helper.make_tensor_value_info("c", F, None)])
    good = {"a": np.ones(3, np.float32), "b": np.ones(3, np.float32)}
    bad = {"a": np.ones(3, np.float32), "b": np.ones(4, np.float32)}
    for sess in _both(data):
        calls, done = [], threading.Event()

        def callback(results, user_data, err):
            calls.append((results, user_data, err))
            done.set()
        for feeds in (good, bad):
            done.clear()
            sess.run_async(None, feeds, callback, "mine")
            assert done.wait(10)
        (results, user, err), (failed, user2, message) = calls
        assert err == "" and user == user2 == "mine" and len(results) == 1
        np.testing.assert_array_equal(results[0], [2, 2, 2])
        assert failed == [] and "add" in message, message
        with pytest.raises(ValueError, match="missing"):
            sess.run_async(None, {"a": good["a"]}, callback, None)


def test_enums_print_and_profiles_end_as_in_onnxruntime(tmp_path, monkeypatch):
    for lib in (ort, wort):
        assert str(lib.GraphOptimizationLevel.ORT_ENABLE_ALL) == "GraphOptimizationLevel.ORT_ENABLE_ALL"
        assert f"{lib.ExecutionMode.ORT_SEQUENTIAL}" == "ExecutionMode.ORT_SEQUENTIAL"
        assert lib.GraphOptimizationLevel.ORT_ENABLE_ALL == 99
    monkeypatch.chdir(tmp_path)
    data = _bytes([helper.make_node("Relu", ["x"], ["y"])], [helper.make_tensor_value_info("x", F, [2])],
                  [helper.make_tensor_value_info("y", F, [2])])
    for lib in (ort, wort):
        options = lib.SessionOptions()
        options.enable_profiling = True
        sess = lib.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        sess.run(None, {"x": np.ones(2, np.float32)})
        start = sess.get_profiling_start_time_ns()
        first = sess.end_profiling()
        assert first.endswith(".json") and (tmp_path / first).exists()
        assert sess.end_profiling() == ""           # ended: nothing more written
        assert sess.get_profiling_start_time_ns() == start > 0


def test_a_model_that_cannot_load_is_caught_by_the_class_onnxruntime_raises(tmp_path):
    def model(nodes, opsets):
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F, [2])],
                                  [helper.make_tensor_value_info("y", F, [2])])
        return helper.make_model(graph, opset_imports=opsets, ir_version=8).SerializeToString()
    std = [helper.make_opsetid("", 17)]
    cases = {"an op of an unknown domain": model([helper.make_node("Foo", ["x"], ["y"], domain="com.example")],
                                                 std + [helper.make_opsetid("com.example", 1)]),
             "too new an opset": model([helper.make_node("Relu", ["x"], ["y"])], [helper.make_opsetid("", 40)]),
             "a dangling input": model([helper.make_node("Add", ["x", "zz"], ["y"])], std),
             "no bytes": b"", "a folder": str(tmp_path)}
    for what, source in cases.items():
        with pytest.raises(Exception) as real:
            ort.InferenceSession(source, providers=["CPUExecutionProvider"])
        with pytest.raises(wasm_infer.WasmInferError) as ours:
            wort.InferenceSession(source)
        assert isinstance(ours.value, getattr(wstate, type(real.value).__name__)), \
            (what, type(real.value).__name__, type(ours.value).__mro__)


def test_what_onnxruntime_refuses_with_runtime_error_is_a_runtime_error_here_too():
    cases = [lambda lib: lib.SessionOptions().get_session_config_entry("no.such.key"),
             lambda lib: lib.RunOptions().get_run_config_entry("no.such.key"),
             lambda lib: lib.OrtValue.ortvalue_from_numpy([1.0, 2.0])]
    for case in cases:
        for lib in (ort, wort):
            with pytest.raises(RuntimeError):
                case(lib)


def test_a_session_keeps_its_own_copy_of_the_options_as_in_onnxruntime():
    data = _bytes([helper.make_node("Relu", ["x"], ["y"])], [helper.make_tensor_value_info("x", F, [2])],
                  [helper.make_tensor_value_info("y", F, [2])])
    for rt in (ort, wort):
        options = rt.SessionOptions()
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wort.OrtCompatWarning)
            sess = (rt.InferenceSession(data, options, providers=["CPUExecutionProvider"]) if rt is ort
                    else rt.InferenceSession(data, options))
        held = sess.get_session_options()
        assert held is not options and held is sess.get_session_options(), rt.__name__
        options.enable_profiling = True                         # the caller's later changes stay theirs
        options.add_session_config_entry("session.intra_op.allow_spinning", "1")
        assert not held.enable_profiling and held.get_session_config_entry("session.intra_op.allow_spinning") == "0"
        held.log_severity_level = 3                             # the held copy is the session's, and stays so
        assert sess.get_session_options().log_severity_level == 3, rt.__name__


def test_logger_severity_and_verbosity_fail_as_in_onnxruntime():
    try:
        for rt in (ort, wort):
            for bad, error in ((7, RuntimeError), (-1, RuntimeError), ("3", TypeError), (2.0, TypeError)):
                with pytest.raises(error):
                    rt.set_default_logger_severity(bad)
            rt.set_default_logger_severity(True)                # a bool is an int there too
            rt.set_default_logger_verbosity(1000)
            with pytest.raises(TypeError):
                rt.set_default_logger_verbosity("3")
    finally:
        ort.set_default_logger_severity(2)
        wort.set_default_logger_severity(2)


def test_a_dict_feeds_a_map_input_as_in_onnxruntime():
    x = helper.make_value_info("x", helper.make_map_type_proto(S, helper.make_tensor_type_proto(F, [1])))
    node = helper.make_node("DictVectorizer", ["x"], ["y"], domain="ai.onnx.ml", string_vocabulary=["a", "b"])
    graph = helper.make_graph([node], "g", [x], [helper.make_tensor_value_info("y", F, None)])
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)],
                             ir_version=8).SerializeToString()
    for sess in _both(data):
        assert sess.get_inputs()[0].type == "map(string,tensor(float))"
        (y,) = sess.run(None, {"x": {"b": 2.0, "c": 1.0}})
        assert y.dtype == np.float32 and y.tolist() == [[0.0, 2.0]]


def test_array_subclasses_feed_as_their_plain_arrays_as_in_onnxruntime():
    """np.matrix, a masked array and a memmap: their data, as onnxruntime reads them (a mask is
    ignored); the results are plain arrays; a matrix's own * or @ never reaches an op."""
    import tempfile
    data = _bytes([helper.make_node("Mul", ["x", "x"], ["m"]), helper.make_node("MatMul", ["m", "x"], ["y"]),
                   helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0)],
                  [helper.make_tensor_value_info("x", F, [2, 2])],
                  [helper.make_tensor_value_info("y", F, [2, 2]), helper.make_tensor_value_info("s", F, [])])
    plain = np.array([[1, 2], [3, 4]], np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        mm = np.memmap(f"{tmp}/x.bin", np.float32, "w+", shape=(2, 2))
        mm[:] = plain
        feeds = {"matrix": np.matrix(plain), "masked": np.ma.masked_array(plain, mask=[[1, 0], [0, 1]]),
                 "memmap": mm}
        ref, ours = _both(data)
        want = ref.run(None, {"x": plain})
        for kind, x in feeds.items():
            assert [r.tolist() for r in ref.run(None, {"x": x})] == [w.tolist() for w in want], kind
            for _ in range(3):      # the recording run, then the plan
                got = ours.run(None, {"x": x})
                assert [type(g) for g in got] == [np.ndarray, np.ndarray], kind
                assert [g.tolist() for g in got] == [w.tolist() for w in want], kind
        del mm
