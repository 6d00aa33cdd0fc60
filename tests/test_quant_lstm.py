"""DynamicQuantizeLSTM's lowering (wasm_infer/lowering/quant_rnn.py), natively:
which nodes it takes (and why not the others: they stay on the NumPy op),
the output shapes it promises, and the weights it packs once per node,
unpacked from the documented layout of pack_qu8_gemm and compared with the
node's W, R, scales, zero points and biases direction by direction. The
kernels themselves run inside Pyodide: tests/node/quant_lstm.test.mjs,
which writes its models with `lstm_model` below."""

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import wasm_infer
from wasm_infer import kernels, lowering

MS = "com.microsoft"
T = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.uint8): TensorProto.UINT8,
     np.dtype(np.int8): TensorProto.INT8, np.dtype(np.int32): TensorProto.INT32}
F32 = np.dtype(np.float32)

TEST_TIMEOUT_S = 120   # per test (tests/conftest.py)


def lstm_model(seed=0, direction="forward", per_channel=False, hidden=16, inp=12, steps=7, batch=3,
               w_type=np.int8, states=True, outputs=3, as_inputs=(), peepholes=False, seq_lens=False, **attrs):
    """(model bytes, feeds) of one DynamicQuantizeLSTM as onnxruntime's quantize_dynamic writes it: int8
    weights with zero points 0 (onnxruntime's symmetric weights) or uint8 with any, per direction or per
    gate column; `as_inputs` names initializers made graph inputs instead; `attrs` more node attributes."""
    rng = np.random.default_rng(seed)
    dirs = 2 if direction == "bidirectional" else 1
    h4 = 4 * hidden
    lengths = (dirs, h4) if per_channel else (dirs,)

    def q(shape):
        return rng.integers(0, 256, shape).astype(np.uint8) if w_type == np.uint8 else \
            rng.integers(-127, 128, shape).astype(np.int8)

    zero = (lambda: q(lengths)) if w_type == np.uint8 else (lambda: np.zeros(lengths, np.int8))
    consts = {"W": q((dirs, inp, h4)), "R": q((dirs, hidden, h4)),
              "B": (rng.standard_normal((dirs, 2 * h4)) * 0.1).astype(np.float32),
              "P": (rng.standard_normal((dirs, 3 * hidden)) * 0.1).astype(np.float32) if peepholes else None,
              "W_scale": rng.uniform(0.002, 0.02, lengths).astype(np.float32), "W_zero_point": zero(),
              "R_scale": rng.uniform(0.002, 0.02, lengths).astype(np.float32), "R_zero_point": zero()}
    feeds = {"X": (rng.standard_normal((steps, batch, inp)) * 2).astype(np.float32)}
    if seq_lens:
        feeds["sequence_lens"] = np.full(batch, steps, np.int32)
    if states:
        feeds["initial_h"] = (rng.standard_normal((dirs, batch, hidden)) * 0.5).astype(np.float32)
        feeds["initial_c"] = (rng.standard_normal((dirs, batch, hidden)) * 0.5).astype(np.float32)
    order = ["X", "W", "R", "B", "sequence_lens" if seq_lens else "", "initial_h" if states else "",
             "initial_c" if states else "", "P" if peepholes else "", "W_scale", "W_zero_point", "R_scale",
             "R_zero_point"]
    consts = {k: v for k, v in consts.items() if v is not None}
    feeds.update({k: consts.pop(k) for k in as_inputs})
    names = ["Y", "Y_h", "Y_c"][:outputs]
    node = helper.make_node("DynamicQuantizeLSTM", order, names, name="the_lstm", domain=MS,
                            hidden_size=hidden, direction=direction, **attrs)
    graph = helper.make_graph(
        [node], "lstm", [helper.make_tensor_value_info(k, T[v.dtype], list(v.shape)) for k, v in feeds.items()],
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, None) for k in names],
        [numpy_helper.from_array(v, k) for k, v in consts.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)])
    m.ir_version = 8
    return m.SerializeToString(), feeds


def _lower(model, feeds):
    sess = wasm_infer.InferenceSession(model)
    op = next(op for op, _, _ in sess._runner.steps if op.op_type == "DynamicQuantizeLSTM")
    specs = [None if not name else (tuple(np.shape(feeds[name])), np.asarray(feeds[name]).dtype) if name in feeds
             else (tuple(np.shape(op.constant(i))), np.asarray(op.constant(i)).dtype)
             for i, name in enumerate(op.node.inputs)]
    return op, lowering.lower(op, specs, kernels)


def _unpack(packed, k, n):
    """pack_qu8_gemm's layout read back: (B - b_zero as int [K, N], scales [N], biases [N])."""
    kk8 = (k + 7) & ~7
    panels = packed.shape[0]
    header = np.ascontiguousarray(packed[:, :32]).view(np.float32)
    w = packed[:, 32:].reshape(panels, kk8 // 2, 2, 4, 2).transpose(1, 4, 0, 2, 3).reshape(kk8, panels * 8)
    return w[:k, :n].astype(np.int64), header[:, :8].reshape(-1)[:n], header[:, 8:].reshape(-1)[:n]


@pytest.mark.parametrize("kw", [{}, {"direction": "reverse", "batch": 1}, {"direction": "bidirectional"},
                                {"direction": "bidirectional", "per_channel": True, "w_type": np.uint8, "hidden": 13},
                                {"states": False, "outputs": 1}, {"outputs": 2, "w_type": np.uint8}])
def test_lowers_and_packs_every_direction(kw):
    model, feeds = lstm_model(**kw)
    op, found = _lower(model, feeds)
    assert found, found.reason
    steps, batch, inp = feeds["X"].shape
    hidden, dirs = kw.get("hidden", 16), op.dirs
    want = [(steps, dirs, batch, hidden), (dirs, batch, hidden), (dirs, batch, hidden)][:kw.get("outputs", 3)]
    assert found.outputs == [(s, F32) for s in want]
    assert "qu8s8_lstm_steps__wasmsimd" in found.name
    packed_w, packed_r = op._lowering_cache["qu8_lstm"]
    w, r, b = (np.asarray(op.constant(i)) for i in (1, 2, 3))
    ws, wz, rs, rz = (np.asarray(op.constant(i)).reshape(dirs, -1) for i in (8, 9, 10, 11))
    h4 = 4 * hidden
    got_w, got_ws, got_wb = _unpack(packed_w, inp, dirs * h4)
    assert len(packed_r) == dirs
    for d in range(dirs):
        cols = slice(d * h4, (d + 1) * h4)
        np.testing.assert_array_equal(got_w[:, cols], w[d].astype(np.int64) - wz[d].astype(np.int64))
        np.testing.assert_array_equal(got_ws[cols], np.broadcast_to(ws[d], h4))
        np.testing.assert_array_equal(got_wb[cols], b[d, :h4])
        got_r, got_rs, got_rb = _unpack(packed_r[d], hidden, h4)
        np.testing.assert_array_equal(got_r, r[d].astype(np.int64) - rz[d].astype(np.int64))
        np.testing.assert_array_equal(got_rs, np.broadcast_to(rs[d], h4))
        np.testing.assert_array_equal(got_rb, b[d, h4:])


@pytest.mark.parametrize("kw,reason", [
    ({"as_inputs": ("W",)}, "is not a constant"),
    ({"as_inputs": ("R_zero_point",)}, "is not a constant"),
    ({"as_inputs": ("B",)}, "is not a constant"),
    ({"peepholes": True}, "peepholes"),
    ({"seq_lens": True}, "sequence_lens"),
    ({"clip": 3.0}, "no clip"),
    ({"input_forget": 1}, "input_forget"),
    ({"activations": ["Sigmoid", "Tanh", "Relu"]}, "default activations"),
])
def test_left_to_the_numpy_op(kw, reason):
    model, feeds = lstm_model(**kw)
    _, found = _lower(model, feeds)
    assert not found and reason in found.reason, found.reason


def test_no_kernels_no_lowering():
    model, feeds = lstm_model()
    sess = wasm_infer.InferenceSession(model)
    op = next(op for op, _, _ in sess._runner.steps if op.op_type == "DynamicQuantizeLSTM")
    found = lowering.lower(op, [None] * 12, None)
    assert not found and "no wasm kernels" in found.reason
