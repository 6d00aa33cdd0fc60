"""The conformance runner's own machinery (tools/conformance*.py): the peer
harnesses carry every tensor type they claim to, the kernel counter counts,
and the report prints the run's counts."""
import numpy as np
import pytest

from tools import conformance, conformance_peers, conformance_report
from tools.conformance_compare import KernelCounter, run_case
from wasm_infer import dtypes


@pytest.mark.parametrize("x", [
    np.array([[1.5, -2.0]], np.float32), np.array([2 ** 40, -3], np.int64), np.array([True, False]),
    np.array(["a", "bc"], dtype=object), np.array(3.0, np.float16),
    dtypes.wrap(np.array([-8, 7, -1, 0, 3], np.int8), dtypes.INT4),
    dtypes.wrap(np.array([15, 0, 9], np.uint8), dtypes.UINT4)], ids=lambda x: str(x.dtype))
def test_onnxruntime_web_tensors_round_trip(x):
    back = conformance_peers._from_web(conformance_peers._to_web(x))
    assert back.dtype == x.dtype and back.shape == x.shape
    np.testing.assert_array_equal(dtypes.bits(back), dtypes.bits(x))


def test_onnxruntime_web_harness_refuses_what_its_tensors_cannot_hold():
    assert "bfloat16" in conformance_peers._to_web(dtypes.wrap(np.zeros(2, np.uint16), dtypes.BFLOAT16))
    assert "list" in conformance_peers._to_web([np.zeros(2, np.float32)])


def test_onnxruntime_harness_feeds_and_reads_types_numpy_lacks():
    """float8 and int4 in and out of onnxruntime through typed OrtValues: these cases pass there."""
    names = ["test_cast_FLOAT_to_FLOAT8E4M3FN", "test_cast_FLOAT8E4M3FN_to_FLOAT", "test_cast_FLOAT_to_INT4",
             "test_cast_INT4_to_INT8"]
    cases = [c for c in conformance.load_cases("test_cast_") if c.name in names]
    assert len(cases) == len(names)
    assert conformance_peers.onnxruntime_native(cases)["results"] == dict.fromkeys(names)


def test_kernel_counter_needs_kernels():
    """Natively there are no kernels: nothing to wrap, and run_case counts nothing."""
    counter = KernelCounter()
    assert counter.install() is False
    case = conformance.portable(conformance.load_cases("test_add_bcast")[0])
    assert run_case(case, counter=counter) == {"first": None, "planned": None, "plan": True, "kernels": {}}


def test_report_prints_the_counts_of_the_run(tmp_path):
    ok = {"first": None, "planned": None, "plan": True, "kernels": {"f32_vclamp__wasmsimd": 2}}
    bad = {"first": None, "planned": "values differ", "plan": True, "kernels": {}}
    runs = {("native", "base"): {"a": ok, "b": bad}, ("native", "variant"): {"a": ok},
            ("pyodide", "base"): {"a": ok, "b": ok, "c": ok}, ("pyodide", "variant"): {"a": bad}}
    peers = {"x": {"label": "some runtime", "how": "somehow", "results": {"a": None, "b": "no"}}}
    out = tmp_path / "report.md"
    conformance_report.write_report(runs, peers, {}, {"pyodide": "0.27.7"}, 1, None, path=out)
    text = out.read_text()
    assert "| wasm_infer, native (NumPy backend), as published | 1,884 | **2** (0.1%) | **1** (0.1%) | 2 | — |" in text
    assert "| wasm_infer, Pyodide 0.27.7 in Node (wasm kernels), weights as initializers | 1 | **1** (100.0%) | " \
           "**0** (0.0%) | 1 | 0 (0) |" in text
    assert "| some runtime | **1** (0.1%) | somehow |" in text
    assert "- `b`: planned run: values differ" in text
    assert "| `f32_vclamp__wasmsimd` | 3 | 0 |" in text
