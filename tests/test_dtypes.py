"""The exotic dtypes (wasm_infer.dtypes): conversions bit-exact against
ml_dtypes (what onnx.reference uses), TensorProto decoding, and sessions
taking and returning them."""
import ml_dtypes
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import wasm_infer
from wasm_infer import dtypes, onnx_proto, onnx_schema, tensor

FLOATS8 = {dtypes.FLOAT8E4M3FN: ml_dtypes.float8_e4m3fn, dtypes.FLOAT8E4M3FNUZ: ml_dtypes.float8_e4m3fnuz,
           dtypes.FLOAT8E5M2: ml_dtypes.float8_e5m2, dtypes.FLOAT8E5M2FNUZ: ml_dtypes.float8_e5m2fnuz}


def _samples():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, 2000), rng.normal(0, 300, 2000), rng.normal(0, 1e-3, 1000),
                        2.0 ** np.arange(-30, 20), -(2.0 ** np.arange(-30, 20)),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 1e9, -1e9, 448, 464, 465, 57344, 61440]])
    return x.astype(np.float32)


@pytest.mark.parametrize("elem", list(FLOATS8) + [dtypes.FLOAT4E2M1])
def test_small_float_decode_matches_ml_dtypes_for_every_code(elem):
    ml = FLOATS8.get(elem, ml_dtypes.float4_e2m1fn)
    codes = np.arange(16 if elem == dtypes.FLOAT4E2M1 else 256, dtype=np.uint8)
    np.testing.assert_array_equal(dtypes.to_float32(dtypes.wrap(codes, elem)), codes.view(ml).astype(np.float32))


@pytest.mark.parametrize("elem", list(FLOATS8))
@pytest.mark.parametrize("saturate", [True, False])
def test_float8_encode_matches_onnx_cast(elem, saturate):
    x = _samples()
    ml = FLOATS8[elem]
    # onnx.reference: saturate clips to the finite range first, then ml_dtypes rounds
    want = (np.clip(x, float(ml_dtypes.finfo(ml).min), float(ml_dtypes.finfo(ml).max)) if saturate else x).astype(ml)
    got = dtypes.to_float32(dtypes.cast(x, elem, saturate))
    np.testing.assert_array_equal(got, want.astype(np.float32))


def test_bfloat16_round_trip_and_rounding_match_ml_dtypes():
    x = _samples()
    got = dtypes.cast(x, dtypes.BFLOAT16)
    np.testing.assert_array_equal(dtypes.bits(got), x.astype(ml_dtypes.bfloat16).view(np.uint16) | 0)
    np.testing.assert_array_equal(dtypes.to_float32(got), x.astype(ml_dtypes.bfloat16).astype(np.float32))


@pytest.mark.parametrize("elem, ml", [(dtypes.INT4, ml_dtypes.int4), (dtypes.UINT4, ml_dtypes.uint4),
                                      (dtypes.INT2, ml_dtypes.int2), (dtypes.UINT2, ml_dtypes.uint2)])
def test_subbyte_ints_decode_from_tensor_proto_and_ml_dtypes(elem, ml):
    values = np.array([0, 1, -1, 3, -2, 7, -8, 5, 2], dtype=np.int64)
    values = values.astype(ml)  # wraps like ONNX Cast
    proto = numpy_helper.from_array(values, "t")
    ours = tensor.to_array(onnx_proto.decode(memoryview(proto.SerializeToString()), onnx_schema.Tensor))
    assert ours.dtype == dtypes.EXOTIC[elem]
    np.testing.assert_array_equal(dtypes.to_float32(ours), values.astype(np.float32))
    np.testing.assert_array_equal(dtypes.to_float32(dtypes.from_ml_dtypes(values)), values.astype(np.float32))


def test_float8_in_int32_data_decodes():
    proto = helper.make_tensor("t", TensorProto.FLOAT8E4M3FN, [3], [0x38, 0x7E, 0xB8], raw=False)
    proto.ClearField("float_data")
    del proto.int32_data[:]
    proto.int32_data.extend([0x38, 0x7E, 0xB8])
    ours = tensor.to_array(onnx_proto.decode(memoryview(proto.SerializeToString()), onnx_schema.Tensor))
    np.testing.assert_array_equal(dtypes.to_float32(ours), [1.0, 448.0, -1.0])


def test_session_reports_exotic_types_and_accepts_ml_dtypes_feeds():
    graph = helper.make_graph([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT)], "g",
                              [helper.make_tensor_value_info("x", TensorProto.BFLOAT16, [3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    sess = wasm_infer.InferenceSession(model.SerializeToString())
    assert sess.get_inputs()[0].type == "tensor(bfloat16)"
    x = np.array([1.5, -2, 3.25], dtype=ml_dtypes.bfloat16)
    (y,) = sess.run(None, {"x": x})
    np.testing.assert_array_equal(y, [1.5, -2, 3.25])
    (y,) = sess.run(None, {"x": dtypes.cast(np.array([1.5, -2, 3.25], np.float32), dtypes.BFLOAT16)})
    np.testing.assert_array_equal(y, [1.5, -2, 3.25])


def test_arithmetic_on_bfloat16_rounds_each_result():
    # Add has no bfloat16 code: the runner widens to float32 and rounds back
    graph = helper.make_graph([helper.make_node("Add", ["a", "b"], ["y"])], "g",
                              [helper.make_tensor_value_info(n, TensorProto.BFLOAT16, [2]) for n in "ab"],
                              [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    a = np.array([1, 256], dtype=ml_dtypes.bfloat16)
    b = np.array([2 ** -9, 1], dtype=ml_dtypes.bfloat16)
    (y,) = wasm_infer.InferenceSession(model.SerializeToString(), backend="numpy").run(None, {"a": a, "b": b})
    assert y.dtype == ml_dtypes.bfloat16      # natively an ml_dtypes array (tests/test_ml_dtypes_interop.py)
    np.testing.assert_array_equal(y.astype(np.float32), (a + b).astype(np.float32))
