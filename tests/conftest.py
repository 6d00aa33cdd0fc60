"""Shared fixtures: paths to what `python3 build.py test` builds before pytest,
and a time limit on every test."""
import os
import signal
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("WASM_INFER_BACKEND", "auto")
# The suite runs strict: a memory plan that fails to build raises PlanError
# instead of falling back to the slow path unseen (build.py test sets it too,
# for the Node and browser tests).
os.environ.setdefault("WASM_INFER_PLAN", "strict")

TEST_TIMEOUT_S = 300   # per test; a module may set its own TEST_TIMEOUT_S

CAT_CLASSES = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian Mau

# Op coverage by execution (test_op_coverage.py): the registry records every
# implementation that runs; the check runs last, and only for the whole suite.
SUBSET = pytest.StashKey[str]()      # why this session is not the whole suite ("" when it is)
_DESELECTED = pytest.StashKey[int]()
COVERAGE_CHECK = "test_every_registered_op_ran"


def pytest_configure(config):
    from wasm_infer import ops
    ops.record_executions()     # before any session: plans keep the (wrapped) methods they bind
    config.stash[_DESELECTED] = 0


def pytest_report_header(config):
    from tools import ort_reference
    return ort_reference.describe()     # int8 references depend on it


def pytest_deselected(items):
    if items:
        config = items[0].config
        config.stash[_DESELECTED] = config.stash.get(_DESELECTED, 0) + len(items)


def pytest_collection_finish(session):
    """Once every plugin has selected and ordered the items (-k, -m, --lf,
    --ff ...): move the coverage check to the end and say whether this is the
    whole suite."""
    items, config = session.items, session.config
    items[:] = [i for i in items if i.name != COVERAGE_CHECK] + [i for i in items if i.name == COVERAGE_CHECK]
    missing = {p.name for p in Path(__file__).parent.glob("test_*.py")} - {i.path.name for i in items}
    picked = [a for a in config.args if "::" in a]
    deselected = config.stash.get(_DESELECTED, 0)
    config.stash[SUBSET] = (f"{deselected} tests deselected" if deselected else
                            f"{len(missing)} test files not collected, e.g. {sorted(missing)[0]}" if missing else
                            f"tests picked by node id, e.g. {picked[0]}" if picked else "")


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


@pytest.fixture(autouse=True)
def _per_test_timeout(request):
    """No test may hang: SIGALRM fails it after its module's TEST_TIMEOUT_S
    seconds (the suite has no pytest-timeout; one slow test fails alone)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return
    seconds = getattr(request.module, "TEST_TIMEOUT_S", TEST_TIMEOUT_S)

    def fail(*_):
        raise TimeoutError(f"test took more than {seconds} s")
    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
