"""tools/ort_reference.py: the onnxruntime session the suite compares int8
results with gives the spec's integer arithmetic on this host, whether or not
its onnxruntime saturates uint8 x int8 products (AVX2 without VNNI)."""
import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from tools import ort_reference

from helpers import make_model

rng = np.random.default_rng(31)


def _qlinear_conv(xz=np.uint8(3)):
    """uint8 activations near 255, int8 per-channel weights near -128 and
    127: every pair of products is past int16 (`xz`: the activation's zero
    point, whose type is the activation's)."""
    x = rng.integers(200, 256, (1, 8, 6, 6)).astype(np.uint8)
    w = rng.choice(np.array([-128, -127, 126, 127], np.int8), (4, 8, 3, 3))
    inits = {"xs": np.float32(0.02), "xz": xz, "w": w, "ws": np.full(4, 0.01, np.float32),
             "wz": np.zeros(4, np.int8), "ys": np.float32(40.0), "yz": np.uint8(128)}
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["y"], pads=[1, 1, 1, 1])
    return make_model([node], [("x", TensorProto.UINT8, x.shape)], [("y", TensorProto.UINT8, None)], inits,
                      opset=19), {"x": x}


def _matmul_integer(weights_as_input):
    """MatMulInteger of uint8 by int8 without zero points, the weights an
    initializer or a graph input."""
    a = rng.integers(240, 256, (3, 64)).astype(np.uint8)
    b = rng.choice(np.array([-128, 127], np.int8), (64, 5))
    inputs = [("a", TensorProto.UINT8, a.shape)] + ([("b", TensorProto.INT8, b.shape)] if weights_as_input else [])
    model = make_model([helper.make_node("MatMulInteger", ["a", "b"], ["y"])], inputs, [("y", TensorProto.INT32, None)],
                       {} if weights_as_input else {"b": b}, opset=19)
    return model, ({"a": a, "b": b} if weights_as_input else {"a": a})


@pytest.mark.parametrize("make", [_qlinear_conv, lambda: _matmul_integer(False), lambda: _matmul_integer(True)],
                         ids=["QLinearConv per-channel", "MatMulInteger weights", "MatMulInteger weights fed"])
def test_reference_session_is_the_spec_arithmetic(make):
    model, feeds = make()
    want = ReferenceEvaluator(model).run(None, feeds)
    got = ort_reference.session(model).run(None, feeds)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)
    # and the rewritten model on its own, whatever this host's onnxruntime does
    rewritten = ort_reference.weights_as_uint8(model).SerializeToString()
    for g, w in zip(ort.InferenceSession(rewritten, providers=["CPUExecutionProvider"]).run(None, feeds), want):
        np.testing.assert_array_equal(g, w)


def test_the_probe_says_what_onnxruntime_does_here():
    """The probe's answer is the reason for the rewrite: plain onnxruntime on
    the per-channel QLinearConv above differs from the spec exactly when it
    says this host saturates."""
    model, feeds = _qlinear_conv()
    (want,) = ReferenceEvaluator(model).run(None, feeds)
    (plain,) = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, feeds)
    assert ort_reference.u8s8_saturates() == (not np.array_equal(plain, want)), ort_reference.describe()


def test_int8_activations_and_dequantize_without_zero_point():
    """int8 x int8 stays as it is (exact, and onnxruntime has no int8 x uint8
    QLinearConv); a per-axis DequantizeLinear without zero point gets one of
    128s shaped like its scale, with the same floats out."""
    model, _ = _qlinear_conv(xz=np.int8(3))
    assert ort_reference.weights_as_uint8(model).graph.node[0].input[3] == "w"
    w = rng.integers(-128, 128, (4, 5)).astype(np.int8)
    dq = make_model([helper.make_node("DequantizeLinear", ["w", "s"], ["y"], axis=0)], [], [("y", TensorProto.FLOAT, None)],
                    {"w": w, "s": rng.uniform(0.1, 1, 4).astype(np.float32)}, opset=19)
    rewritten = ort_reference.weights_as_uint8(dq)
    zp = next(i for i in rewritten.graph.initializer if i.name == rewritten.graph.node[0].input[2])
    assert zp.data_type == TensorProto.UINT8 and list(zp.dims) == [4]
    (want,) = ReferenceEvaluator(dq).run(None, {})
    (got,) = ort.InferenceSession(rewritten.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {})
    np.testing.assert_array_equal(got, want)
