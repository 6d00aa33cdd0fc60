"""Small QOperator models made by onnxruntime's own quantizer, as a user
would (quantize_static with QuantFormat.QOperator): QLinearConv (3x3, a
depthwise 3x3 stride 2, 1x1s), com.microsoft QLinearAdd, the Relu/Clip the
quantizer folds into the output ranges. Used by tests/test_fuse_qlinear.py
and, written to a folder with onnxruntime's outputs, by
tests/node/qoperator.test.mjs.

CLI: python tests/qoperator_models.py OUT_DIR  (writes NAME.onnx,
NAME.input.npy, NAME.output.npy for each model)"""
import os
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tools import ort_reference  # noqa: E402  (the repository root, when run as a script)

SHAPE = (1, 3, 14, 14)
# name -> quantize_static keywords
MODELS = {"qop_u8": dict(activation="QUInt8", per_channel=True),
          "qop_s8": dict(activation="QInt8", per_channel=True),
          "qop_u8_per_tensor": dict(activation="QUInt8", per_channel=False)}


def float_model(seed=0):
    """Conv+Relu -> depthwise 3x3 s2 + Clip(0, 6) -> 1x1 Conv -> Add (with a
    strided 1x1 Conv of the first), float32. (No pooling: the quantizer
    would write a QLinearGlobalAveragePool, which is not this pass's.)"""
    rng = np.random.default_rng(seed)
    inits = []

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr, np.float32), name))
        return name

    def conv(x, y, m, c, k, **kw):
        w = const(y + "_w", rng.normal(0, 0.4, (m, c // kw.get("group", 1), k, k)))
        return helper.make_node("Conv", [x, w, const(y + "_b", rng.normal(0, 0.1, m))], [y], name=y, **kw)

    nodes = [conv("x", "c1", 16, 3, 3, pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
             conv("r1", "c2", 16, 16, 3, pads=[1, 1, 1, 1], strides=[2, 2], group=16),
             helper.make_node("Clip", ["c2", const("lo", 0.0), const("hi", 6.0)], ["r2"], name="clip2"),
             conv("r2", "c3", 24, 16, 1),
             conv("r1", "c4", 24, 16, 1, strides=[2, 2]),
             helper.make_node("Add", ["c3", "c4"], ["y"], name="add")]
    graph = helper.make_graph(nodes, "qop", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(SHAPE))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def inputs(seed, n):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 1, SHAPE).astype(np.float32) for _ in range(n)]


def qoperator_model(activation="QUInt8", per_channel=True, seed=0):
    """The float model through quantize_static(QOperator, int8 weights), calibrated on 8 inputs: bytes."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.feeds = iter({"x": x} for x in inputs(seed + 1, 8))

        def get_next(self):
            return next(self.feeds, None)

    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "f.onnx"), os.path.join(d, "q.onnx")
        onnx.save(float_model(seed), src)
        quantize_static(src, dst, Reader(), quant_format=QuantFormat.QOperator, per_channel=per_channel,
                        activation_type=getattr(QuantType, activation), weight_type=QuantType.QInt8)
        with open(dst, "rb") as f:
            return f.read()


def ort_run(model, x):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort_reference.session(model, so).run(None, {"x": x})[0]


if __name__ == "__main__":
    out = sys.argv[1]
    for name, kw in MODELS.items():
        model = qoperator_model(**kw)
        x = inputs(99, 1)[0]
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(model)
        np.save(os.path.join(out, name + ".input.npy"), x)
        np.save(os.path.join(out, name + ".output.npy"), ort_run(model, x))
