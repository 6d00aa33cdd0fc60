"""Shared fixtures: paths to what `python3 build.py test` builds before pytest."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("WASM_INFER_BACKEND", "auto")

CAT_CLASSES = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian Mau


def _built(path):
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run the tests with `python3 build.py test`, "
                    "which builds it first")
    return path


@pytest.fixture(scope="session")
def effnet_path():
    return _built(BUILD / "models" / "efficientnet_lite0.onnx")


@pytest.fixture(scope="session")
def photos_dir():
    return _built(BUILD / "data" / "images")


@pytest.fixture(scope="session")
def reference_dir():
    return _built(BUILD / "reference")
