"""Models whose first node has no kernel (Slice, Gather, Split, a Q/DQ pair, a
1-D Conv), followed by nodes that do (Conv, Sigmoid, Mul, MaxPool, Softmax), a
Gemm with a scalar C, layer normalizations (the op and written out) and a
detection neck (ConvTranspose, Resize, Concat, Split) and LSTMs: for tests/node/plan.test.mjs, which checks that the
later nodes still run on kernels inside Pyodide. Host side (onnx.helper):

    python tests/plan_chain_models.py OUT_DIR    writes OUT_DIR/<head>.onnx
"""
import sys
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

F, I64, U8 = TensorProto.FLOAT, TensorProto.INT64, TensorProto.UINT8


def _init(name, value):
    return numpy_helper.from_array(np.asarray(value), name)


def _tail(x, c, rng):
    """x [1, c, 16, 16] -> Conv 3x3 (16 ch) -> SiLU (Sigmoid, Mul) -> MaxPool 2x2 -> Softmax (last axis) -> y."""
    nodes = [helper.make_node("Conv", [x, "w", "b"], ["conv"], pads=[1, 1, 1, 1]),
             helper.make_node("Sigmoid", ["conv"], ["sig"]),
             helper.make_node("Mul", ["conv", "sig"], ["silu"]),
             helper.make_node("MaxPool", ["silu"], ["pool"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Softmax", ["pool"], ["y"], axis=-1)]
    inits = [_init("w", rng.standard_normal((16, c, 3, 3)).astype(np.float32) * 0.3),
             _init("b", rng.standard_normal(16).astype(np.float32) * 0.1)]
    return nodes, inits


def models():
    rng = np.random.default_rng(7)
    out = {}

    def add(name, head, head_inits, x_shape, x_type=F, opset=18):
        nodes, inits = _tail("h", 4, rng)
        graph = helper.make_graph(head + nodes, name, [helper.make_tensor_value_info("x", x_type, x_shape)],
                                  [helper.make_tensor_value_info("y", F, None)], head_inits + inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        out[name] = m.SerializeToString()

    add("slice", [helper.make_node("Slice", ["x", "s0", "s1", "ax"], ["h"])],
        [_init("s0", np.array([1], np.int64)), _init("s1", np.array([5], np.int64)), _init("ax", np.array([1], np.int64))],
        [1, 6, 16, 16])
    add("gather", [helper.make_node("Gather", ["table", "x"], ["g"], axis=0),
                   helper.make_node("Reshape", ["g", "shape"], ["h"])],
        [_init("table", rng.standard_normal((10, 64)).astype(np.float32)), _init("shape", np.array([1, 4, 16, 16], np.int64))],
        [16], x_type=I64)
    add("split", [helper.make_node("Split", ["x", "parts"], ["h", "rest"], axis=1)],
        [_init("parts", np.array([4, 2], np.int64))], [1, 6, 16, 16])
    add("quantize", [helper.make_node("QuantizeLinear", ["x", "scale", "zp"], ["q"]),
                     helper.make_node("DequantizeLinear", ["q", "scale", "zp"], ["h"])],
        [_init("scale", np.float32(0.05)), _init("zp", np.uint8(128))], [1, 4, 16, 16])
    add("conv1d", [helper.make_node("Conv", ["x", "w1"], ["c1"], pads=[1, 1]),
                   helper.make_node("Reshape", ["c1", "shape"], ["h"])],
        [_init("w1", rng.standard_normal((64, 2, 3)).astype(np.float32) * 0.3),
         _init("shape", np.array([1, 4, 16, 16], np.int64))], [1, 2, 16])
    # Gemm with N = 1 and a scalar C (its bias binder once read C's last axis of a 0-d array)
    graph = helper.make_graph([helper.make_node("Gemm", ["x", "gb", "gc"], ["y"], alpha=0.5, beta=2.0)], "gemm",
                              [helper.make_tensor_value_info("x", F, [4, 8])], [helper.make_tensor_value_info("y", F, None)],
                              [_init("gb", rng.standard_normal((8, 1)).astype(np.float32)), _init("gc", np.float32(0.25))])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    out["gemm_scalar_c"] = m.SerializeToString()
    # the same with transA = 1 (A given as [K, M]): no kernel takes it; it used to fail in Pyodide
    graph = helper.make_graph([helper.make_node("Gemm", ["x", "gb", "gc"], ["y"], transA=1, alpha=0.5, beta=2.0)],
                              "gemm_t", [helper.make_tensor_value_info("x", F, [8, 4])],
                              [helper.make_tensor_value_info("y", F, None)],
                              [_init("gb", rng.standard_normal((8, 1)).astype(np.float32)), _init("gc", np.float32(0.25))])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    out["gemm_scalar_c_trans_a"] = m.SerializeToString()
    # LayerNormalization (opset 17) over the last axis, and the same written out
    # node by node with a Relu after it (fuse_layer_norm makes one FusedLayerNorm)
    ln_inits = [_init("gamma", rng.uniform(0.5, 1.5, 33).astype(np.float32)),
                _init("beta", rng.uniform(-1, 1, 33).astype(np.float32))]
    ln = [helper.make_node("LayerNormalization", ["x", "gamma", "beta"], ["y"], axis=-1, epsilon=1e-5)]
    written = [helper.make_node("ReduceMean", ["x"], ["mean"], axes=[-1]), helper.make_node("Sub", ["x", "mean"], ["d"]),
               helper.make_node("Mul", ["d", "d"], ["sq"]), helper.make_node("ReduceMean", ["sq"], ["var"], axes=[-1]),
               helper.make_node("Add", ["var", "eps"], ["ve"]), helper.make_node("Sqrt", ["ve"], ["std"]),
               helper.make_node("Div", ["d", "std"], ["n"]), helper.make_node("Mul", ["n", "gamma"], ["s"]),
               helper.make_node("Add", ["s", "beta"], ["a"]), helper.make_node("Relu", ["a"], ["y"])]
    for name, nodes, inits in (("layer_norm", ln, ln_inits),
                               ("layer_norm_written", written, ln_inits + [_init("eps", np.float32(1e-5))])):
        graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", F, [2, 5, 33])],
                                  [helper.make_tensor_value_info("y", F, None)], inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        m.ir_version = 8
        out[name] = m.SerializeToString()
    out["neck"] = neck(rng)
    # LSTM: forward with initial states (all three outputs), and reverse with Y only
    hid, inp = 20, 12
    lstm_inits = [_init("lw", (rng.standard_normal((1, 4 * hid, inp)) * 0.3).astype(np.float32)),
                  _init("lr", (rng.standard_normal((1, 4 * hid, hid)) * 0.3).astype(np.float32)),
                  _init("lb", (rng.standard_normal((1, 8 * hid)) * 0.1).astype(np.float32)),
                  _init("h0", (rng.standard_normal((1, 3, hid)) * 0.5).astype(np.float32)),
                  _init("c0", (rng.standard_normal((1, 3, hid)) * 0.5).astype(np.float32))]
    for name, node, outs in (
            ("lstm", helper.make_node("LSTM", ["x", "lw", "lr", "lb", "", "h0", "c0"], ["y", "yh", "yc"],
                                      hidden_size=hid), ["y", "yh", "yc"]),
            ("lstm_reverse", helper.make_node("LSTM", ["x", "lw", "lr", "lb"], ["y"], hidden_size=hid,
                                              direction="reverse"), ["y"])):
        graph = helper.make_graph([node], name, [helper.make_tensor_value_info("x", F, [5, 3, inp])],
                                  [helper.make_tensor_value_info(o, F, None) for o in outs],
                                  lstm_inits if name == "lstm" else lstm_inits[:3])
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
        m.ir_version = 8
        out[name] = m.SerializeToString()
    out["lstm_branch"] = lstm_branch(rng)
    return out


def lstm_branch(rng, hid=128, inp=64):
    """An LSTM inside an If branch whose W and R are an outer initializer's
    gate blocks sliced and concatenated again (as exporters of PyTorch LSTMs
    write them; Silero VAD): values larger than what the recording run keeps,
    which the branch's plan computes once and the lowering packs once."""
    def reorder(name, out):     # [a; b] -> [b; a], a the first 3/4 of the rows
        cut = _init(f"{name}_cut", np.array([3 * hid], np.int64))
        lo, hi = _init(f"{name}_lo", np.array([0], np.int64)), _init(f"{name}_hi", np.array([4 * hid], np.int64))
        one = _init(f"{name}_axis", np.array([1], np.int64))
        nodes = [helper.make_node("Slice", [name, f"{name}_lo", f"{name}_cut", f"{name}_axis"], [f"{name}_a"]),
                 helper.make_node("Slice", [name, f"{name}_cut", f"{name}_hi", f"{name}_axis"], [f"{name}_b"]),
                 helper.make_node("Concat", [f"{name}_b", f"{name}_a"], [out], axis=1)]
        return nodes, [cut, lo, hi, one]
    wn, wi = reorder("bw", "w")
    rn, ri = reorder("br", "r")
    then = helper.make_graph(wn + rn + [helper.make_node("LSTM", ["x", "w", "r"], ["ty", "tyh"], hidden_size=hid)],
                             "then", [], [helper.make_tensor_value_info("tyh", F, None)], wi + ri)
    other = helper.make_graph([helper.make_node("ReduceSum", ["x", "ax0"], ["e"], keepdims=1)], "else", [],
                              [helper.make_tensor_value_info("e", F, None)])
    nodes = [helper.make_node("Size", ["x"], ["n"]), helper.make_node("Greater", ["n", "zero"], ["cond"]),
             helper.make_node("If", ["cond"], ["y"], then_branch=then, else_branch=other)]
    inits = [_init("bw", (rng.standard_normal((1, 4 * hid, inp)) * 0.2).astype(np.float32)),
             _init("br", (rng.standard_normal((1, 4 * hid, hid)) * 0.1).astype(np.float32)),
             _init("zero", np.array(0, np.int64)), _init("ax0", np.array([0], np.int64))]
    graph = helper.make_graph(nodes, "lstm_branch", [helper.make_tensor_value_info("x", F, [3, 1, inp])],
                              [helper.make_tensor_value_info("y", F, None)], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 8
    return m.SerializeToString()


def neck(rng):
    """A detection/segmentation neck: Conv with its bias written as an Add,
    BatchNormalization, Relu; ConvTranspose 2x2 stride 2 (bias as an Add, then
    BatchNormalization); nearest Resize x2; Concat, HardSigmoid, Split along
    channels; a 1x1 Conv; and a Resize x1.5 (no whole-number repetition)."""
    def f(a):
        return np.asarray(a, np.float32)

    def bn(c):    # scale, bias, mean, var
        return [_init(f"bn{c}_{k}", f(rng.uniform(lo, hi, c)))
                for k, lo, hi in (("s", 0.5, 1.5), ("b", -1, 1), ("m", -1, 1), ("v", 0.5, 2))]
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Add", ["c1", "cb"], ["a1"]),
             helper.make_node("BatchNormalization", ["a1", "bn16_s", "bn16_b", "bn16_m", "bn16_v"], ["bn1"]),
             helper.make_node("Relu", ["bn1"], ["r1"]),
             helper.make_node("ConvTranspose", ["r1", "wt"], ["ct"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Add", ["ctb", "ct"], ["ab"]),
             helper.make_node("BatchNormalization", ["ab", "bn8_s", "bn8_b", "bn8_m", "bn8_v"], ["bn2"]),
             helper.make_node("Resize", ["r1", "", "up2"], ["up"], mode="nearest",
                              coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
             helper.make_node("Concat", ["bn2", "up"], ["cat"], axis=1),
             helper.make_node("HardSigmoid", ["cat"], ["hs"]),
             helper.make_node("Split", ["hs", "parts"], ["s1", "s2"], axis=1),
             helper.make_node("Conv", ["s2", "w2"], ["c2"]),
             helper.make_node("Mul", ["c2", "s1"], ["y"]),
             helper.make_node("Resize", ["y", "", "up15"], ["z"], mode="nearest")]
    inits = [_init("w1", f(rng.standard_normal((16, 4, 3, 3)) * 0.3)), _init("cb", f(rng.uniform(-1, 1, (1, 16, 1, 1)))),
             _init("wt", f(rng.standard_normal((16, 8, 2, 2)) * 0.3)), _init("ctb", f(rng.uniform(-1, 1, (1, 8, 1, 1)))),
             _init("up2", f([1, 1, 2, 2])), _init("parts", np.array([8, 16], np.int64)),
             _init("w2", f(rng.standard_normal((8, 16, 1, 1)) * 0.3)), _init("up15", f([1, 1, 1.5, 1.5]))]
    inits += bn(16) + bn(8)
    graph = helper.make_graph(nodes, "neck", [helper.make_tensor_value_info("x", F, [1, 4, 8, 8])],
                              [helper.make_tensor_value_info("y", F, None), helper.make_tensor_value_info("z", F, None)],
                              inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m.SerializeToString()


def inputs():
    """A seeded input per model, as {name: array}."""
    rng = np.random.default_rng(3)
    x4 = rng.standard_normal((1, 6, 16, 16)).astype(np.float32)
    return {"slice": x4, "split": x4, "gather": rng.integers(0, 10, 16).astype(np.int64),
            "quantize": rng.standard_normal((1, 4, 16, 16)).astype(np.float32),
            "conv1d": rng.standard_normal((1, 2, 16)).astype(np.float32),
            "gemm_scalar_c": rng.standard_normal((4, 8)).astype(np.float32),
            "gemm_scalar_c_trans_a": rng.standard_normal((8, 4)).astype(np.float32),
            "layer_norm": (2 + rng.standard_normal((2, 5, 33))).astype(np.float32),
            "layer_norm_written": (2 + rng.standard_normal((2, 5, 33))).astype(np.float32),
            "neck": rng.standard_normal((1, 4, 8, 8)).astype(np.float32),
            "lstm": rng.standard_normal((5, 3, 12)).astype(np.float32),
            "lstm_reverse": rng.standard_normal((5, 3, 12)).astype(np.float32),
            "lstm_branch": rng.standard_normal((3, 1, 64)).astype(np.float32)}


if __name__ == "__main__":
    import onnxruntime as ort
    dest = Path(sys.argv[1])
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in models().items():
        x = inputs()[name]
        (dest / f"{name}.onnx").write_bytes(data)
        np.save(dest / f"{name}.input.npy", x)
        # onnxruntime's output, the reference the Pyodide run is compared with
        sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        outs = sess.run(None, {"x": x})
        np.save(dest / f"{name}.output.npy", outs[0])
        for i, o in enumerate(outs[1:], start=1):
            np.save(dest / f"{name}.output{i}.npy", o)
