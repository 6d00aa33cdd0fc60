"""Exotic element types at the API boundary, natively: outputs come back as
ml_dtypes arrays exactly as onnx.reference returns them, ml_dtypes feeds are
accepted, and without ml_dtypes (as in Pyodide) our representation stays."""
import ml_dtypes
import numpy as np
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

import wasm_infer
from wasm_infer import dtypes

# (ONNX type, values to cast to it: in range, and the edges the type has)
FLOATS = [0.0, -0.0, 0.5, -1.75, 3.0, 1e-3, 240.0, -1e6, float("inf"), float("nan")]
TYPES = [
    ("BFLOAT16", FLOATS),
    ("FLOAT8E4M3FN", FLOATS),
    ("FLOAT8E4M3FNUZ", FLOATS),
    ("FLOAT8E5M2", FLOATS),
    ("FLOAT8E5M2FNUZ", FLOATS),
    ("FLOAT8E8M0", [0.25, 1.0, 3.0, 1024.0, 2.0 ** -100]),
    ("FLOAT4E2M1", [0.0, -0.0, 0.5, 1.5, -3.0, 6.0, 0.7, -100.0]),
    ("INT4", [-8, -3, 0, 1, 7]),
    ("UINT4", [0, 1, 9, 15]),
    ("INT2", [-2, -1, 0, 1]),
    ("UINT2", [0, 1, 2, 3]),
]
IDS = [t for t, _ in TYPES]


def _cast_model(src, dst, n):
    graph = helper.make_graph([helper.make_node("Cast", ["x"], ["y"], to=dst)], "cast",
                              [helper.make_tensor_value_info("x", src, [n])],
                              [helper.make_tensor_value_info("y", dst, [n])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])


def _same(got, want):
    """Same ml_dtypes type and shape, same values (NaN where NaN)."""
    assert type(got) is np.ndarray and got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.astype(np.float32), want.astype(np.float32))


def _reference(model, feeds):
    (out,) = ReferenceEvaluator(model).run(None, feeds)
    return out


@pytest.mark.parametrize("name, values", TYPES, ids=IDS)
def test_outputs_are_ml_dtypes_arrays_like_onnx_reference(name, values):
    model = _cast_model(TensorProto.FLOAT, getattr(TensorProto, name), len(values))
    x = np.array(values, np.float32)
    want = _reference(model, {"x": x})
    assert want.dtype.name == dtypes.ml_dtypes_name(getattr(TensorProto, name))   # onnx.reference's own type
    (got,) = wasm_infer.InferenceSession(model.SerializeToString(), backend="numpy").run(None, {"x": x})
    _same(got, want)
    if want.dtype.itemsize in (1, 2) and name not in ("INT4", "UINT4", "INT2", "UINT2", "FLOAT4E2M1"):
        assert got.tobytes() == want.tobytes()      # bit for bit, NaN payloads and -0 included


@pytest.mark.parametrize("name, values", TYPES, ids=IDS)
def test_ml_dtypes_feeds_are_accepted(name, values):
    elem = getattr(TensorProto, name)
    feed = np.array(values, np.float32).astype(getattr(ml_dtypes, dtypes.ml_dtypes_name(elem)))
    to_float = _cast_model(elem, TensorProto.FLOAT, len(values))
    (got,) = wasm_infer.InferenceSession(to_float.SerializeToString(), backend="numpy").run(None, {"x": feed})
    want = _reference(to_float, {"x": feed})
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    identity = helper.make_model(helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "id",
        [helper.make_tensor_value_info("x", elem, [len(values)])],
        [helper.make_tensor_value_info("y", elem, [len(values)])]), opset_imports=[helper.make_opsetid("", 23)])
    (back,) = wasm_infer.InferenceSession(identity.SerializeToString(), backend="numpy").run(None, {"x": feed})
    _same(back, feed)


def test_without_ml_dtypes_outputs_keep_our_representation(monkeypatch):
    """What Pyodide gets (it has no ml_dtypes): the one-field structured dtype of wasm_infer.dtypes."""
    monkeypatch.setattr(dtypes, "_ML", [None])
    model = _cast_model(TensorProto.FLOAT, TensorProto.BFLOAT16, 3)
    x = np.array([1.0, -2.5, 3.0], np.float32)
    (got,) = wasm_infer.InferenceSession(model.SerializeToString(), backend="numpy").run(None, {"x": x})
    assert got.dtype == dtypes.EXOTIC[dtypes.BFLOAT16]
    np.testing.assert_array_equal(dtypes.bits(got), x.astype(ml_dtypes.bfloat16).view(np.uint16))


def test_plain_outputs_pass_through_untouched():
    x = np.arange(4, dtype=np.float32)
    assert dtypes.to_ml_dtypes(x) is x
    rec = np.zeros(2, [("a", "<f4")])             # a structured array that is not one of ours
    assert dtypes.to_ml_dtypes(rec) is rec
