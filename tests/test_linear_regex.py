"""RegexFullMatch's matcher (wasm_infer/ops/_linear_regex.py): the same answers as Python's re
(with RE2's ASCII classes) on random strings, time linear in the string where re's backtracking
is exponential, and RE2's refusals."""
import random
import re
import time

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import wasm_infer
from wasm_infer import UnsupportedError
from wasm_infer.ops._linear_regex import LinearRegex

PATTERNS = [r"www\.[\w.-]+\.\bcom\b", r"(\W|^)[\w.\-]{0,25}@(yahoo|gmail)\.com(\W|$)", r"(?i)ab[^c-e]x*?",
            r"(a+)+$", r"\d+(?:\.\d*)?", r"a|b|", r"(ab|a)(bc|c)?", r"[a-c]{2,4}x?", r"(?:a*)*b", r"\Bab\b", r".*",
            r"(?s).*", r"^a.c$", r"[^\d\s]+", r"x{3}", r"x{0}y", r"(a|ab)(c|bcd)(d*)", r"\w+@\w+\.com", r"[.-]+",
            r"(?i)[a-c]+Z", r"(?m)a$\n^b", r"\Aab\Z", r"[\x41-\x43]+", r"a{2,}?b"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_same_answers_as_python_re_on_random_strings(pattern):
    rng = random.Random(pattern)
    ref, mine = re.compile(pattern, re.ASCII), LinearRegex(pattern)
    for _ in range(2000):
        s = "".join(rng.choice("abcdxyzABC.-@ _1\n!") for _ in range(rng.randint(0, 12)))
        if s.endswith("\n") and "$" in pattern:
            continue        # Python's $ also matches before a final newline; RE2's (and ours) does not
        assert mine.fullmatch(s) == (ref.fullmatch(s) is not None), (pattern, s)


def test_python_re_and_re2_part_at_a_final_newline():
    assert re.fullmatch(r"a$\n", "a\n") is not None and not LinearRegex(r"a$\n").fullmatch("a\n")
    assert LinearRegex(r"(?m)a$\n").fullmatch("a\n")


def test_classes_are_ascii_as_in_re2():
    assert re.fullmatch(r"\w\d", "é٣") and not LinearRegex(r"\w\d").fullmatch("é٣")


def test_nested_repeats_match_in_linear_time():
    """(a+)+$ against n a's and a '!': 2**n steps for re's backtracking (n = 25 already takes
    seconds), one pass here; 100,000 characters twice as long as 50,000, give or take."""
    regex = LinearRegex(r"(a+)+$")
    assert not regex.fullmatch("a" * 30 + "!") and regex.fullmatch("a" * 30)
    timings = []
    for n in (50_000, 100_000):
        t0 = time.perf_counter()
        assert not regex.fullmatch("a" * n + "!")
        timings.append(time.perf_counter() - t0)
    assert timings[1] < 5 * timings[0] + 0.05, timings


@pytest.mark.parametrize("pattern, what", [(r"(a)\1", "backreference"), (r"a(?=b)", "lookaround"),
                                           (r"(?<!a)b", "lookaround"), (r"(?>a+)b", "atomic group"),
                                           (r"a*+b", "possessive repeat"), (r"a{1001}", "more than 1000"),
                                           (r"(a{1000}){100}", "states"), (r"(a", "does not parse")])
def test_what_re2_refuses_is_refused(pattern, what):
    with pytest.raises(UnsupportedError, match=what):
        LinearRegex(pattern)


def test_a_model_folding_a_catastrophic_match_at_load_loads_at_once():
    """A constant string and a pattern that re takes 2**40 steps over: folded at load (before:
    0.15 s at 22 a's, doubling with each one more)."""
    node = helper.make_node("RegexFullMatch", ["s"], ["y"], pattern="(a+)+$", name="re")
    s = numpy_helper.from_array(np.array(["a" * 40 + "!", "a" * 40], dtype=object), "s")
    graph = helper.make_graph([node], "g", [], [helper.make_tensor_value_info("y", TensorProto.BOOL, None)], [s])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    model.ir_version = 9
    (y,) = wasm_infer.InferenceSession(model.SerializeToString()).run(None, {})
    assert y.tolist() == [False, True]


def test_a_pattern_whose_dfa_is_exponential_keeps_its_caches_bounded():
    """(a|b)*a(a|b){18} has 2**19 DFA states: over a long random string nearly every character
    makes a new state set. The caches start over past MAX_CACHED transitions, state sets included
    (they were kept: 100,000 characters held ~75 MiB of sets, growing with the string)."""
    import tracemalloc
    pattern = r"(a|b)*a(a|b){18}"
    rng = random.Random(1)
    s = "".join(rng.choice("ab") for _ in range(100_000))
    regex = LinearRegex(pattern)
    tracemalloc.start()
    try:
        got = regex.fullmatch(s)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == (re.fullmatch(pattern, s) is not None)
    assert peak < 32 << 20, f"{peak / (1 << 20):.0f} MiB"
