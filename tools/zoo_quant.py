"""The zoo's quantized models (tools/zoo.py), made with onnxruntime's own
quantizer as a user would, by the entry's "quantizer":

    (none)         quantize_static, QuantFormat.QDQ (issue 13's efficientnet_lite0_int8)
    qoperator      the same in QuantFormat.QOperator: QLinearConv and the
                   com.microsoft QLinearAdd, QLinearGlobalAveragePool, QGemm
    dynamic        quantize_dynamic with its default options
    vad_lstm       Silero VAD's LSTM, taken out of the model with its real
                   weights, then quantize_dynamic: com.microsoft DynamicQuantizeLSTM

quantize_dynamic does not reach the LSTM inside Silero VAD: it sits three If
levels deep and its weights are computed there (Slice/Concat of Constant
nodes, PyTorch's gate order rewritten to ONNX's), while the quantizer only
quantizes an LSTM whose W and R are initializers. So the LSTM is taken out:
its W, R and B are evaluated from the VAD's constants by onnxruntime, and it
runs over the features the VAD's own encoder (also taken out, evaluated by
onnxruntime) computes for consecutive chunks of the zoo's test signal."""
import shutil
import tempfile
from pathlib import Path

import numpy as np

LSTM_FIRST_CHUNK, LSTM_STEPS = 8, 16     # the VAD state after chunks 0..7, then 16 chunks as one sequence
QUANTIZERS = ("qoperator", "dynamic", "vad_lstm")


def quantize(quantizer, src, dest, data_dir):
    """Make dest from the float model src with the entry's quantizer."""
    if quantizer == "dynamic":
        quantize_dynamic_default(src, dest)
    elif quantizer == "vad_lstm":
        make_vad_lstm_int8(src, dest)
    elif quantizer in (None, "qoperator"):
        quantize_static_photos(src, dest, data_dir, qoperator=quantizer == "qoperator")
    else:
        raise ValueError(f"unknown quantizer {quantizer!r}; one of {QUANTIZERS} or none")


def _calibration_reader(data_dir):
    """Every sample photo, preprocessed as for the float model, in name order."""
    from onnxruntime.quantization import CalibrationDataReader
    from wasm_infer.vision import imagenet_preprocess

    class Photos(CalibrationDataReader):
        def __init__(self):
            self.feeds = iter([{"input": imagenet_preprocess(p)}
                               for p in sorted((Path(data_dir) / "images").iterdir())])

        def get_next(self):
            return next(self.feeds, None)
    return Photos()


def quantize_static_photos(src, dest, data_dir, qoperator=False):
    """quant_pre_process (onnxruntime's optimizer and ONNX shape inference; the
    symbolic one needs sympy, which the float model does not), then
    quantize_static: QDQ (or QOperator), uint8 activations, int8 per-channel
    weights, MinMax over the sample photos. Deterministic: the same bytes for
    the same onnxruntime, model and photos."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        out = Path(tmp) / "q.onnx"
        quantize_static(str(pre), str(out), _calibration_reader(data_dir),
                        quant_format=QuantFormat.QOperator if qoperator else QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        shutil.copyfile(out, dest)


def output_steps(model_path):
    """{output name: scale of the DequantizeLinear that makes it} for the graph
    outputs that come out of one with a constant scalar scale."""
    import onnx
    from onnx import numpy_helper
    graph = onnx.load(str(model_path)).graph
    consts = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    outs = {v.name for v in graph.output}
    steps = {}
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and node.output[0] in outs and node.input[1] in consts:
            scale = consts[node.input[1]]
            if scale.size == 1:
                steps[node.output[0]] = float(scale.reshape(()))
    return steps


def quantize_dynamic_default(src, dest):
    """quantize_dynamic(src, dest): the call of its documentation, no options."""
    from onnxruntime.quantization import quantize_dynamic
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "q.onnx"
        quantize_dynamic(str(src), str(out))
        shutil.copyfile(out, dest)


# ---- Silero VAD's LSTM ---------------------------------------------------------------------

def _branch(node, name):
    return next(a.g for a in node.attribute if a.name == name)


def _vad_scopes(vad):
    """(the 16 kHz branch, its branch that runs with a state given) of the VAD,
    and the LSTM node in it."""
    top = next(n for n in vad.graph.node if n.op_type == "If")
    sr16k = _branch(top, "then_branch")     # If(sr == 16000)
    with_state = _branch(next(n for n in sr16k.node if n.name.endswith("decoder/If_1")), "then_branch")
    lstm = next(n for n in with_state.node if n.op_type == "LSTM")
    return [sr16k, with_state], lstm


def _cone(scopes, targets, allowed=()):
    """The nodes (in graph order, outer scopes first) that compute `targets`
    from Constant nodes and the names in `allowed`, across nested scopes."""
    producer = {}
    for depth, g in enumerate(scopes):
        for k, n in enumerate(g.node):
            for o in n.output:
                producer[o] = (depth, k, n)
    picked, todo = {}, list(targets)
    while todo:
        name = todo.pop()
        if name in allowed or not name:
            continue
        if name not in producer:
            raise ValueError(f"silero_vad: {name!r} is not computed from constants in the branch taken")
        depth, k, n = producer[name]
        if (depth, k) not in picked:
            picked[(depth, k)] = n
            todo.extend(n.input)
    return [picked[key] for key in sorted(picked)]


def _run_cone(scopes, targets, feeds=None, input_info=()):
    """Evaluate `targets` with onnxruntime, on a graph of just their cone."""
    import onnxruntime as ort
    from onnx import helper
    nodes = _cone(scopes, targets, {i.name for i in input_info})
    graph = helper.make_graph(nodes, "cone", list(input_info),
                              [helper.make_empty_tensor_value_info(t) for t in targets])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    model.ir_version = 8
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess, (sess.run(None, feeds) if feeds is not None else None)


def vad_lstm_float(vad_path):
    """The VAD's LSTM as a model: X [steps, 1, 128], initial_h, initial_c
    [1, 1, 128] -> Y, Y_h, Y_c; W, R, B the VAD's, as initializers."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    vad = onnx.load(str(vad_path))
    scopes, lstm = _vad_scopes(vad)
    _, (w, r, b) = _run_cone(scopes, list(lstm.input[1:4]), feeds={})
    hidden = int(next(a.i for a in lstm.attribute if a.name == "hidden_size"))
    node = helper.make_node("LSTM", ["X", "W", "R", "B", "", "initial_h", "initial_c"], ["Y", "Y_h", "Y_c"],
                            name="decoder_rnn_LSTM", hidden_size=hidden)
    state = [1, 1, hidden]
    graph = helper.make_graph(
        [node], "silero_vad_lstm",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["steps", 1, w.shape[2]]),
         helper.make_tensor_value_info("initial_h", TensorProto.FLOAT, state),
         helper.make_tensor_value_info("initial_c", TensorProto.FLOAT, state)],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["steps", 1, 1, hidden]),
         helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, state),
         helper.make_tensor_value_info("Y_c", TensorProto.FLOAT, state)],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(r, "R"), numpy_helper.from_array(b, "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def make_vad_lstm_int8(vad_path, dest):
    """vad_lstm_float through quantize_dynamic (default options)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "lstm.onnx"
        src.write_bytes(vad_lstm_float(vad_path).SerializeToString())
        quantize_dynamic_default(src, dest)


def vad_lstm_feeds(vad_path, chunks, rate):
    """X: the VAD encoder's features of `chunks` (each 1 x (context + chunk)
    samples, as the VAD is fed) from LSTM_FIRST_CHUNK on, LSTM_STEPS of them;
    initial_h/initial_c: the VAD's state after the chunks before."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper
    vad = onnx.load(str(vad_path))
    scopes, lstm = _vad_scopes(vad)
    relu = next(n for n in scopes[0].node if n.name.endswith("encoder/3/activation/Relu"))
    encoder, _ = _run_cone(scopes[:1], [relu.output[0]],
                           input_info=[helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, None])])
    full = ort.InferenceSession(str(vad_path), providers=["CPUExecutionProvider"])
    state, sr = np.zeros((2, 1, 128), np.float32), np.array(rate, np.int64)
    for x in chunks[:LSTM_FIRST_CHUNK]:
        _, state = full.run(None, {"input": x, "state": state, "sr": sr})
    feats = []
    for x in chunks[LSTM_FIRST_CHUNK:LSTM_FIRST_CHUNK + LSTM_STEPS]:
        (f,) = encoder.run(None, {"input": x})       # [1, 128, 1]: one frame per chunk
        if f.shape[2] != 1:
            raise ValueError(f"silero_vad: the encoder gave {f.shape[2]} frames for a chunk, not 1")
        feats.append(f[:, :, 0])
    if len(feats) != LSTM_STEPS:
        raise ValueError(f"silero_vad: the signal has {len(chunks)} chunks, the LSTM sequence needs "
                         f"{LSTM_FIRST_CHUNK + LSTM_STEPS}")
    return [np.stack(feats).astype(np.float32), state[0:1], state[1:2]]
