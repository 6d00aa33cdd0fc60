"""EfficientNet-Lite0 on real photos: wasm_infer (NumPy backend, natively)
against onnxruntime's outputs on the same inputs."""
import numpy as np
import pytest

import wasm_infer
from tools.data import PHOTOS
from wasm_infer.vision import imagenet_preprocess, softmax_top_k

from conftest import CAT_CLASSES

EXPECTED_TOP1 = {"chelsea.png": CAT_CLASSES, "coffee.png": [967], "rocket.jpg": [657], "motorcycle_left.png": [665]}


@pytest.fixture(scope="module")
def session(effnet_path):
    return wasm_infer.InferenceSession(str(effnet_path))


@pytest.mark.parametrize("photo", PHOTOS)
def test_logits_match_onnxruntime(session, reference_dir, photo):
    x = np.load(reference_dir / f"{photo}.input.npy")
    expected = np.load(reference_dir / f"{photo}.logits.npy")
    (got,) = session.run(None, {"input": x})
    assert got.shape == (1, 1000) and got.dtype == np.float32
    assert np.abs(got - expected).max() <= 1e-3
    assert got.argmax() == expected.argmax()
    assert got.argmax() in EXPECTED_TOP1[photo]


def test_preprocessing_matches_reference(photos_dir, reference_dir):
    x = imagenet_preprocess(photos_dir / "chelsea.png")
    assert x.shape == (1, 3, 224, 224) and x.dtype == np.float32
    np.testing.assert_array_equal(x, np.load(reference_dir / "chelsea.png.input.npy"))


def test_batch_of_two(session, reference_dir):
    xs = [np.load(reference_dir / f"{p}.input.npy") for p in PHOTOS[:2]]
    (got,) = session.run(["logits"], {"input": np.concatenate(xs)})
    for i, p in enumerate(PHOTOS[:2]):
        np.testing.assert_allclose(got[i], np.load(reference_dir / f"{p}.logits.npy")[0], atol=1e-3)


def test_top5_probabilities(session, reference_dir):
    (logits,) = session.run(None, {"input": np.load(reference_dir / "coffee.png.input.npy")})
    top = softmax_top_k(logits[0], 5)
    assert top[0][0] == 967 and len(top) == 5
    probs = [p for _, p in top]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-9
