"""Vision / recurrent ops on attribute combinations the ONNX backend suite
does not reach (ceil_mode with dilations, Indices with storage_order,
recurrent activations with clip and sequence_lens, RoiAlign max mode, ...),
against onnxruntime; and the two ops the suite has no case for
(MaxRoiPool, GlobalLpPool)."""
import numpy as np
import onnxruntime
import pytest
from onnx import TensorProto, helper

import wasm_infer

_TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64,
          np.dtype(np.int32): TensorProto.INT32}


def _compare(op, inputs, attrs, opset, out_types=(TensorProto.FLOAT,), atol=1e-5):
    names = [f"x{i}" if v is not None else "" for i, v in enumerate(inputs)]
    outs = [f"y{i}" for i in range(len(out_types))]
    graph = helper.make_graph(
        [helper.make_node(op, names, outs, **attrs)], "t",
        [helper.make_tensor_value_info(n, _TYPES[v.dtype], v.shape) for n, v in zip(names, inputs) if n],
        [helper.make_tensor_value_info(o, t, None) for o, t in zip(outs, out_types)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    data = model.SerializeToString()
    feeds = {n: v for n, v in zip(names, inputs) if n}
    expected = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, feeds)
    got = wasm_infer.InferenceSession(data, backend="numpy").run(None, feeds)
    for e, g in zip(expected, got):
        assert g.shape == e.shape and g.dtype == e.dtype
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=atol)


RNG = np.random.default_rng(3)
X4 = RNG.standard_normal((2, 3, 7, 8)).astype(np.float32)


@pytest.mark.parametrize("attrs", [
    dict(kernel_shape=[3, 2], strides=[2, 3], pads=[1, 0, 1, 1], ceil_mode=1, dilations=[2, 1]),
    dict(kernel_shape=[2, 3], strides=[2, 2], pads=[1, 1, 0, 1], ceil_mode=1, count_include_pad=1),
    dict(kernel_shape=[3, 3], strides=[2, 1], auto_pad="SAME_LOWER"),
])
def test_pooling(attrs):
    _compare("AveragePool", [X4], attrs, 19)
    _compare("MaxPool", [X4], {k: v for k, v in attrs.items() if k != "count_include_pad"}, 19)
    _compare("LpPool", [X4], {k: v for k, v in attrs.items() if k not in ("count_include_pad", "ceil_mode")}, 18)


@pytest.mark.parametrize("storage_order", [0, 1])
def test_maxpool_indices(storage_order):
    _compare("MaxPool", [X4], dict(kernel_shape=[3, 2], strides=[2, 2], pads=[1, 1, 1, 0],
                                   storage_order=storage_order), 12, (TensorProto.FLOAT, TensorProto.INT64))


def test_max_roi_pool_and_global_lp_pool():
    rois = np.array([[0, 1, 1, 4, 2], [1, 0, 0, 2, 2.6], [0, 2.2, 0.5, 4.9, 2.5]], np.float32)
    _compare("MaxRoiPool", [X4, rois], dict(pooled_shape=[2, 3], spatial_scale=0.5), 7)
    _compare("GlobalLpPool", [X4], dict(p=3), 7)


@pytest.mark.parametrize("op,gates,extra", [
    ("RNN", 1, dict(activations=["HardSigmoid", "LeakyRelu"], activation_alpha=[0.3, 0.2])),
    ("GRU", 3, dict(linear_before_reset=1, activations=["Sigmoid", "Tanh", "HardSigmoid", "Affine"],
                    activation_alpha=[0.3, 0.7], activation_beta=[0.4, 0.1])),
    ("LSTM", 4, dict(input_forget=1)),
])
def test_recurrent(op, gates, extra):
    t, b, i, h = 4, 3, 2, 3
    x = RNG.standard_normal((t, b, i)).astype(np.float32)
    w = RNG.standard_normal((2, gates * h, i)).astype(np.float32)
    r = RNG.standard_normal((2, gates * h, h)).astype(np.float32)
    bias = RNG.standard_normal((2, 2 * gates * h)).astype(np.float32)
    lens = np.array([4, 2, 3], np.int32)
    h0 = RNG.standard_normal((2, b, h)).astype(np.float32)
    inputs = [x, w, r, bias, lens, h0]
    if op == "LSTM":
        inputs += [RNG.standard_normal((2, b, h)).astype(np.float32), RNG.standard_normal((2, 3 * h)).astype(np.float32)]
    outs = (TensorProto.FLOAT,) * (3 if op == "LSTM" else 2)
    _compare(op, inputs, dict(hidden_size=h, direction="bidirectional", clip=1.5, **extra), 14, outs)


@pytest.mark.parametrize("bad", ["X rank 5", "W", "R", "B", "sequence_lens", "initial_h", "initial_c"])
def test_recurrent_inputs_of_the_wrong_shape_are_input_errors_naming_them(bad):
    """Silero VAD fed a chunk its LSTM does not take reached a NumPy matmul error (a ModelError);
    onnxruntime refuses each of these as an invalid argument."""
    t, b, i, h = 4, 3, 2, 3
    shapes = {"X rank 5": (1, 1, t, b, i), "W": (1, 4 * h, i + 1), "R": (1, 4 * h, h + 1), "B": (1, 7 * h),
              "sequence_lens": (b + 1,), "initial_h": (1, b + 1, h), "initial_c": (1, b, h + 1)}
    good = {"X rank 5": (t, b, i), "W": (1, 4 * h, i), "R": (1, 4 * h, h), "B": (1, 8 * h), "sequence_lens": (b,),
            "initial_h": (1, b, h), "initial_c": (1, b, h)}
    names = list(good)
    types = {n: TensorProto.INT32 if n == "sequence_lens" else TensorProto.FLOAT for n in names}
    graph = helper.make_graph([helper.make_node("LSTM", names, ["y"], hidden_size=h)], "t",
                              [helper.make_tensor_value_info(n, types[n], None) for n in names],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=8).SerializeToString()

    def feeds(which):
        return {n: (np.full(shapes[n] if n == which else good[n], t, np.int32) if n == "sequence_lens" else
                    RNG.standard_normal(shapes[n] if n == which else good[n]).astype(np.float32)) for n in names}
    sess = wasm_infer.InferenceSession(data, backend="numpy")
    assert sess.run(None, feeds(None))[0].shape == (t, 1, b, h)
    with pytest.raises(Exception):      # noqa: B017 (onnxruntime's class does not matter: that it refuses)
        onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, feeds(bad))
    name = "X and R" if bad == "X rank 5" else bad
    with pytest.raises(wasm_infer.InputError, match=rf"\(LSTM\): {name} "):
        sess.run(None, feeds(bad))


@pytest.mark.parametrize("mode", ["avg", "max"])
def test_roi_align(mode):
    rois = np.array([[0.5, 1, 5, 6], [2, 0.2, 7.5, 3], [0, 0, 1, 1]], np.float32)
    _compare("RoiAlign", [X4, rois, np.array([0, 1, 1], np.int64)],
             dict(mode=mode, output_height=2, output_width=3, sampling_ratio=0, spatial_scale=0.8), 16)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
def test_grid_sample(mode, padding):
    grid = (RNG.random((2, 3, 4, 2)) * 3 - 1.5).astype(np.float32)
    _compare("GridSample", [X4, grid], dict(mode=mode, padding_mode=padding, align_corners=0), 16, atol=1e-4)
