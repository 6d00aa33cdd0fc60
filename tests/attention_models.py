"""Small attention-shaped models for the kernels issue 13 added (Erf/GELU,
batched MatMul of two activations, Softmax / LogSoftmax on any axis), written with
onnx.helper, with onnxruntime's outputs.

    python tests/attention_models.py OUT_DIR    writes OUT_DIR/<name>.onnx,
                                                <name>.feeds.npz (in0, in1, ...),
                                                <name>.ref.npz (out0, ...)
"""
import math
import sys
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
F = TensorProto.FLOAT


def tiny_bert(rng, hidden=16, heads=2, layers=2, inter=32, vocab=50, positions=24):
    """tools/export_minilm.py's graph (torch.onnx.export's BertModel at opset 17)
    with random weights: the op pattern of all-MiniLM-L6-v2, small."""
    from tools.export_minilm import build_model
    shapes = {"embeddings.word_embeddings.weight": (vocab, hidden), "embeddings.token_type_embeddings.weight": (2, hidden),
              "embeddings.position_embeddings.weight": (positions, hidden),
              "pooler.dense.weight": (hidden, hidden), "pooler.dense.bias": (hidden,)}
    for ln in ["embeddings.LayerNorm"] + [f"encoder.layer.{i}.{p}.LayerNorm" for i in range(layers)
                                          for p in ("attention.output", "output")]:
        shapes[f"{ln}.weight"] = shapes[f"{ln}.bias"] = (hidden,)
    for i in range(layers):
        for name, (o, n) in {"attention.self.query": (hidden, hidden), "attention.self.key": (hidden, hidden),
                             "attention.self.value": (hidden, hidden), "attention.output.dense": (hidden, hidden),
                             "intermediate.dense": (inter, hidden), "output.dense": (hidden, inter)}.items():
            shapes[f"encoder.layer.{i}.{name}.weight"], shapes[f"encoder.layer.{i}.{name}.bias"] = (o, n), (o,)
    sd = {k: (rng.standard_normal(s) * 0.5).astype(np.float32) for k, s in shapes.items()}
    sd["embeddings.position_ids"] = np.arange(positions, dtype=np.int64)[None]
    config = {"hidden_size": hidden, "num_attention_heads": heads, "layer_norm_eps": 1e-12,
              "num_hidden_layers": layers}
    return build_model(sd, config).SerializeToString()


def bert_feeds(rng, batch=2, seq=11, vocab=50):
    ids = rng.integers(0, vocab, (batch, seq)).astype(np.int64)
    mask = np.ones((batch, seq), np.int64)
    mask[-1, seq * 2 // 3:] = 0          # padding in the last sentence: the additive mask matters
    return [ids, mask, (ids % 2).astype(np.int64)]


def _model(nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(nodes, "m", [helper.make_tensor_value_info(n, F, s) for n, s in inputs],
                              [helper.make_tensor_value_info(n, F, None) for n in outputs],
                              [numpy_helper.from_array(np.asarray(v), k) for k, v in dict(inits).items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m.SerializeToString()


def models():
    """{name: (model bytes, [feeds])}."""
    rng = np.random.default_rng(13)
    out = {"bert": (tiny_bert(rng), bert_feeds(rng))}
    # Attention's two products with broadcast leading axes, and a 3-D a by a 2-D b, all computed.
    out["matmul"] = (_model(
        [helper.make_node("MatMul", ["q", "k"], ["s"]),             # [2, 1, 9, 17] @ [3, 17, 6] -> [2, 3, 9, 6]
         helper.make_node("MatMul", ["a", "b"], ["y"]),             # [2, 5, 7] @ [7, 4]
         helper.make_node("MatMul", ["s", "v"], ["z"]),             # [2, 3, 9, 6] @ [6, 10]
         helper.make_node("MatMul", ["t", "u"], ["w"])],            # [8, 2, 3] @ [8, 3, 2]: too small for the kernel
        [("q", [2, 1, 9, 17]), ("k", [3, 17, 6]), ("a", [2, 5, 7]), ("b", [7, 4]), ("v", [6, 10]),
         ("t", [8, 2, 3]), ("u", [8, 3, 2])],
        ["s", "y", "z", "w"]),
        [rng.standard_normal(s).astype(np.float32)
         for s in ([2, 1, 9, 17], [3, 17, 6], [2, 5, 7], [7, 4], [6, 10], [8, 2, 3], [8, 3, 2])])
    # Softmax over axis 1, -2 and 0 of 4-D / 2-D inputs (inner sizes around the 4-column blocks), LogSoftmax
    # over axis 1 and the last.
    out["softmax_axis"] = (_model(
        [helper.make_node("Softmax", ["x"], ["y1"], axis=1), helper.make_node("Softmax", ["x"], ["y2"], axis=-2),
         helper.make_node("Softmax", ["w"], ["y3"], axis=0),
         helper.make_node("LogSoftmax", ["x"], ["l1"], axis=1), helper.make_node("LogSoftmax", ["x"], ["l2"], axis=-1)],
        [("x", [2, 12, 9, 7]), ("w", [5, 3])], ["y1", "y2", "y3", "l1", "l2"]),
        [(rng.standard_normal(s) * 4).astype(np.float32) for s in ([2, 12, 9, 7], [5, 3])])
    # Erf on its own, and both GELU forms written out (the tanh one as HF's NewGELU).
    c = {"sqrt2": np.float32(math.sqrt(2)), "one": np.float32(1), "half": np.float32(0.5), "three": np.float32(3),
         "kappa": np.float32(0.044715), "beta": np.float32(math.sqrt(2 / math.pi))}
    out["erf_gelu"] = (_model(
        [helper.make_node("Erf", ["x"], ["e0"]),
         helper.make_node("Div", ["x", "sqrt2"], ["d"]), helper.make_node("Erf", ["d"], ["e"]),
         helper.make_node("Add", ["e", "one"], ["p"]), helper.make_node("Mul", ["x", "p"], ["m"]),
         helper.make_node("Mul", ["m", "half"], ["g"]),
         helper.make_node("Mul", ["half", "x"], ["h"]), helper.make_node("Pow", ["x", "three"], ["cube"]),
         helper.make_node("Mul", ["kappa", "cube"], ["k"]), helper.make_node("Add", ["x", "k"], ["s"]),
         helper.make_node("Mul", ["s", "beta"], ["i"]), helper.make_node("Tanh", ["i"], ["t"]),
         helper.make_node("Add", ["one", "t"], ["tp"]), helper.make_node("Mul", ["h", "tp"], ["gt"])],
        [("x", [3, 1001])], ["e0", "g", "gt"], c),
        [rng.uniform(-6, 6, (3, 1001)).astype(np.float32)])
    return out


if __name__ == "__main__":
    import onnxruntime as ort
    dest = Path(sys.argv[1])
    dest.mkdir(parents=True, exist_ok=True)
    for name, (model, feeds) in models().items():
        (dest / f"{name}.onnx").write_bytes(model)
        sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        refs = sess.run(None, {i.name: x for i, x in zip(sess.get_inputs(), feeds)})
        np.savez(dest / f"{name}.feeds.npz", **{f"in{k}": x for k, x in enumerate(feeds)})
        np.savez(dest / f"{name}.ref.npz", **{f"out{k}": y for k, y in enumerate(refs)})
