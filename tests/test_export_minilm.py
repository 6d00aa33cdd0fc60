"""tools/export_minilm.py: the safetensors reader, the WordPiece tokenizer and
the exported graph (op pattern, onnxruntime run); with the real model (after
`python3 build.py zoo`), that its embeddings put related sentences close."""
import collections
import json
import struct
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from attention_models import tiny_bert
from tools.export_minilm import read_safetensors, tokenize

ZOO = Path(__file__).resolve().parent.parent / "build" / "zoo"


def _safetensors(tensors, header_extra=None):
    header, blobs, offset = {}, [], 0
    for name, a in tensors.items():
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": {"float32": "F32", "int64": "I64"}[str(a.dtype)], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header.update(header_extra or {})
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def test_safetensors_round_trip_and_bad_files():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = np.array([[1, -2]], np.int64)
    got = read_safetensors(_safetensors({"a": a, "b": b}, {"__metadata__": {"format": "pt"}}))
    assert set(got) == {"a", "b"} and np.array_equal(got["a"], a) and np.array_equal(got["b"], b)
    with pytest.raises(ValueError, match="shorter than its header length"):
        read_safetensors(b"\x01")
    with pytest.raises(ValueError, match="header of"):
        read_safetensors(struct.pack("<Q", 10**9) + b"{}")
    bad = _safetensors({"a": a})
    with pytest.raises(ValueError, match="do not fit its shape"):
        read_safetensors(bad[:-4])
    with pytest.raises(ValueError, match="is not one of"):
        read_safetensors(_safetensors({}, {"c": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}))


def test_wordpiece():
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", ",", "world", "!", "un",
                                          "##aff", "##able", "naive", "."])}
    ids, mask, types = tokenize("Hello, WORLD! Unaffable naïve xyz.", vocab, 12)
    assert ids.tolist() == [[2, 4, 5, 6, 7, 8, 9, 10, 11, 1, 12, 3]]
    assert mask.tolist() == [[1] * 12] and types.tolist() == [[0] * 12] and ids.dtype == np.int64
    ids, mask, _ = tokenize("hello world hello world", vocab, 8)
    assert ids.tolist() == [[2, 4, 6, 4, 6, 3, 0, 0]] and mask.tolist() == [[1] * 6 + [0, 0]]
    ids, _, _ = tokenize("hello " * 20, vocab, 5)          # truncated, [SEP] kept
    assert ids.tolist() == [[2, 4, 4, 4, 3]]


def test_graph_is_torch_export_shaped_and_runs():
    model = tiny_bert(np.random.default_rng(1))
    import onnx
    m = onnx.load_from_string(model)
    ops = collections.Counter(n.op_type for n in m.graph.node)
    # two layers: 6 MatMuls each with weights or activations, Erf-GELU written out, LayerNormalization
    assert ops["Erf"] == 2 and ops["Softmax"] == 2 and ops["LayerNormalization"] == 5 and ops["MatMul"] == 16
    assert [i.name for i in m.graph.input] == ["input_ids", "attention_mask", "token_type_ids"]
    assert [o.name for o in m.graph.output] == ["last_hidden_state", "pooler_output"]
    assert m.opset_import[0].version == 17
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    ids = np.array([[1, 5, 7, 2]], np.int64)
    h, p = sess.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": 0 * ids})
    assert h.shape == (1, 4, 16) and p.shape == (1, 16) and np.isfinite(h).all()


@pytest.mark.skipif(not (ZOO / "minilm_l6_v2.onnx").exists(), reason="build/zoo has no MiniLM: python3 build.py zoo")
def test_real_model_embeds_related_sentences_close():
    vocab = json.loads((ZOO / "minilm_l6_v2.vocab.json").read_text())
    sess = ort.InferenceSession(str(ZOO / "minilm_l6_v2.onnx"), providers=["CPUExecutionProvider"])

    def embed(text):      # sentence-transformers' Pooling (mean over real tokens) and Normalize
        ids, mask, types = tokenize(text, vocab, 16)
        h = sess.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        e = (h * mask[..., None]).sum(1)[0] / mask.sum()
        return e / np.linalg.norm(e)
    a, b = embed("A man is eating food."), embed("A man is eating a piece of bread.")
    c, d = embed("A man is riding a horse."), embed("The girl is carrying a baby.")
    assert a @ b > 0.7 and a @ c < 0.4 and a @ d < 0.1
