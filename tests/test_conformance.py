"""Every ONNX backend node test case (onnx.backend.test.case.node) natively,
one pytest case each. Known failures live in tests/conformance_xfail.py
(regenerate with `python -m tools.conformance --native-only --write-xfail`)
and are strict xfails, so both a fix and a regression show up. Cases in
tools.conformance.EXCLUDED cannot pass by construction and are not run."""
import warnings

import numpy as np
import pytest

from tools import conformance
from tools.conformance_compare import run_case

from conformance_xfail import NATIVE as XFAIL


def _params():
    params = []
    for case in conformance.portable_cases():
        if case["name"] in conformance.EXCLUDED:
            continue
        marks = [pytest.mark.xfail(strict=True, reason=XFAIL[case["name"]])] if case["name"] in XFAIL else []
        params.append(pytest.param(case, id=case["name"], marks=marks))
    return params


@pytest.mark.parametrize("case", _params())
def test_node_case(case):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        reason = run_case(case, backend="numpy")
    assert reason is None, reason


def test_xfail_list_names_real_cases():
    names = {c.name for c in conformance.load_cases()}
    assert not set(XFAIL) - names, f"stale entries in tests/conformance_xfail.py: {sorted(set(XFAIL) - names)}"
    assert len(names) == conformance.TOTAL
