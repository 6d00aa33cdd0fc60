"""Every ONNX backend node test case (onnx.backend.test.case.node) natively,
one pytest case each, run twice in one session (the first run builds the
memory plan, the second goes through it; both must match), as published and
as the kernel variant (weights as initializers, tools/conformance.py
`variant`). Known failures live in tests/conformance_xfail.py (regenerate
with `python -m tools.conformance --native-only --write-xfail`) and are
strict xfails, so both a fix and a regression show up. Cases in
tools.conformance.EXCLUDED cannot pass by construction and are not run."""
import warnings

import numpy as np
import pytest

from tools import conformance
from tools.conformance_compare import run_case

from conformance_xfail import NATIVE as XFAIL, NATIVE_VARIANT as XFAIL_VARIANT

BASE, VARIANT = conformance.load_portable()


def _params(cases, xfail):
    params = []
    for case in cases:
        if case["name"] in conformance.EXCLUDED:
            continue
        marks = [pytest.mark.xfail(strict=True, reason=xfail[case["name"]])] if case["name"] in xfail else []
        params.append(pytest.param(case, id=case["name"], marks=marks))
    return params


def _run(case):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = run_case(case, backend="numpy")
    assert result["first"] is None, f"first run: {result['first']}"
    assert result["planned"] is None, f"planned run: {result['planned']}"


@pytest.mark.parametrize("case", _params(BASE, XFAIL))
def test_node_case(case):
    _run(case)


@pytest.mark.parametrize("case", _params(VARIANT, XFAIL_VARIANT))
def test_node_case_weights_as_initializers(case):
    _run(case)


def test_xfail_list_names_real_cases():
    names = {c["name"] for c in BASE}
    for label, xfail in (("NATIVE", XFAIL), ("NATIVE_VARIANT", XFAIL_VARIANT)):
        assert not set(xfail) - names, f"stale entries in tests/conformance_xfail.py {label}: {sorted(set(xfail) - names)}"
    assert len(names) == conformance.TOTAL


def test_every_case_has_one_data_set():
    """The variant stores the inputs of a case's data set as initializers: one data set, one model."""
    assert all(len(c["data_sets"]) == 1 for c in BASE)


def test_variant_moves_weights_into_initializers():
    from onnx import load_from_string
    by_name = {c["name"]: c for c in VARIANT}
    assert len(VARIANT) > 1000, f"the rule converts only {len(VARIANT)} cases"
    conv = load_from_string(by_name["test_basic_conv_with_padding"]["model"]).graph
    assert [i.name for i in conv.input] == ["x"] and [t.name for t in conv.initializer] == ["W"]
    assert len(by_name["test_basic_conv_with_padding"]["data_sets"][0][0]) == 1
    # a single-input case has no variant; a sequence input stays an input
    assert "test_relu" not in by_name
    loop = load_from_string(by_name["test_loop13_seq"]["model"]).graph
    assert [i.name for i in loop.input] == ["trip_count", "seq_empty"] and [t.name for t in loop.initializer] == ["cond"]
