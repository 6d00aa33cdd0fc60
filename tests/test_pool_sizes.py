"""Pooling windows at the edge of the input, against onnxruntime: output sizes
and values for inputs near one window and below it. onnxruntime divides
truncating toward zero, so an input less than a stride short of a window still
makes one (PP-OCR's recogniser pools a crop under 8 pixels wide so), and no
window at all is an empty output; a Conv so short is an error there as here."""
import itertools

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import wasm_infer

ort.set_default_logger_severity(3)


def _model(op, rank, **attrs):
    node = helper.make_node(op, ["x"], ["y"], **attrs)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2] + [None] * rank)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)], ir_version=8)
    return model.SerializeToString()


def _cases(op):
    for k, s, pb, pe, ceil, d in itertools.product((1, 2, 3, 4), (1, 2, 3), (0, 1), (0, 1, 2), (0, 1), (1, 2)):
        if pb >= k or pe >= k:
            continue
        attrs = {"kernel_shape": [k], "strides": [s], "pads": [pb, pe], "ceil_mode": ceil, "dilations": [d]}
        if op == "AveragePool":
            for include in (0, 1):
                yield {**attrs, "count_include_pad": include}
        else:
            yield attrs


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
def test_sizes_and_values_match_onnxruntime_near_and_below_one_window(op):
    rng = np.random.default_rng(5)
    compared = partial = empty = 0
    for attrs in _cases(op):
        model = _model(op, 1, **attrs)
        ref = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        ours = wasm_infer.InferenceSession(model)
        for n in (1, 2, 3, 4, 5):
            x = rng.standard_normal((1, 2, n)).astype(np.float32)
            try:
                (want,) = ref.run(None, {"x": x})
            except Exception:   # noqa: BLE001 (onnxruntime refuses: so must we)
                with pytest.raises(wasm_infer.InputError, match="too small"):
                    ours.run(None, {"x": x})
                continue
            for _ in range(2):
                (got,) = ours.run(None, {"x": x})
                assert got.shape == want.shape, (attrs, n)
                # a window of dilated taps entirely in the padding: onnxruntime's max of nothing is
                # -FLT_MAX, ours (and onnx.reference's) -inf
                nothing = want == np.finfo(np.float32).min
                assert (got[nothing] == -np.inf).all(), (attrs, n)
                np.testing.assert_allclose(got[~nothing], want[~nothing], rtol=1e-6, err_msg=str((attrs, n)))
            compared += 1
            eff = (attrs["kernel_shape"][0] - 1) * attrs["dilations"][0] + 1
            partial += want.shape[-1] > 0 and n + sum(attrs["pads"]) < eff
            empty += want.shape[-1] == 0
    assert compared > 500 and partial > 20 and empty > 20, (compared, partial, empty)


def test_ppocr_like_pool_of_a_2d_input_shorter_than_its_window():
    """AveragePool kernel [3, 2], strides [3, 2] on [3, 1] (PP-OCRv4 rec on a crop 1-7 pixels
    wide): onnxruntime makes one window of the one column there is."""
    model = _model("AveragePool", 2, kernel_shape=[3, 2], strides=[3, 2], pads=[0, 0, 0, 0])
    x = np.random.default_rng(1).standard_normal((1, 2, 3, 1)).astype(np.float32)
    (want,) = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, {"x": x})
    (got,) = wasm_infer.InferenceSession(model).run(None, {"x": x})
    assert got.shape == want.shape == (1, 2, 1, 1)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(got[..., 0, 0], x.mean(axis=(2, 3)), rtol=1e-6)
