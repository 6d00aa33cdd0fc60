"""The benchmark's random-weight models (tools/synthetic_models.py): wasm_infer
(NumPy backend, natively) against onnxruntime on the same input."""
import numpy as np
import onnxruntime
import pytest

import wasm_infer
from tools import synthetic_models


@pytest.fixture(scope="module", params=sorted(set(synthetic_models.MODELS) - {"mlp_head_if"}))
def model(request):
    return request.param, synthetic_models.MODELS[request.param]().SerializeToString()


def test_matches_onnxruntime(model):
    name, data = model
    x = np.random.default_rng(7).standard_normal(synthetic_models.INPUT_SHAPE).astype(np.float32)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    (expected,) = onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"]).run(
        None, {"input": x})
    sess = wasm_infer.InferenceSession(data, backend="numpy")
    (got,) = sess.run(None, {"input": x})
    assert got.shape == expected.shape == (1, synthetic_models.CLASSES) and got.dtype == np.float32
    scale = float(np.abs(expected).max())
    # He-scaled weights keep the logits O(1..10): a tolerance relative to that scale means something
    assert 0.5 < scale < 100, f"{name}: logits scale {scale} (weights scaled badly?)"
    assert np.isfinite(got).all()
    assert float(np.abs(got - expected).max()) <= 1e-4 * scale
    assert got.argmax() == expected.argmax()


def test_mlp_head_if_matches_onnxruntime():
    data = synthetic_models.mlp_head_if().SerializeToString()
    assert sum(1 for _ in synthetic_models.mlp_head_if().graph.node) >= 64
    ort = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    sess = wasm_infer.InferenceSession(data, backend="numpy")
    for seed in range(3):     # the planned runs too
        x = np.random.default_rng(seed).standard_normal((1, 16, 96)).astype(np.float32)
        (expected,), (got,) = ort.run(None, {"input": x}), sess.run(None, {"input": x})
        assert got.shape == expected.shape == (1, 1) and 0 < float(got[0, 0]) < 1
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_deterministic_and_idempotent(tmp_path):
    a = synthetic_models.mobilenetv2().SerializeToString()
    assert a == synthetic_models.mobilenetv2().SerializeToString()
    assert a != synthetic_models.mobilenetv2(seed=1).SerializeToString()
    (path,) = synthetic_models.ensure(tmp_path, ["mobilenetv2_random"])
    assert path.read_bytes() == a
    before = path.stat().st_mtime_ns
    synthetic_models.ensure(tmp_path, ["mobilenetv2_random"])
    assert path.stat().st_mtime_ns == before  # unchanged file: not rewritten
