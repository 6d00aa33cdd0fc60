"""Warm-up: run a new session on representative inputs before real requests.

The first run of a session pays one-off costs — the memory plan for the input
shapes is recorded and built, weights are pre-packed, and the engine
compiles the kernels' hot paths on first call — so `InferenceSession.warmup()`
runs the model (twice by default: once to plan, once through the plan) on
inputs made from the model's declared inputs. Symbolic dimensions become 1.
"""
import time

import numpy as np

from . import dtypes
from .errors import InputError


def representative_feeds(inputs):
    """{name: array} for ValueInfos `inputs`: floats ~ N(0, 1) from a fixed
    seed (zeros can take fast paths a real input does not), integers and
    booleans zero (safe as indices), strings empty, maps empty dicts. Raises
    InputError naming an input that is not a tensor of known type and rank or a map."""
    rng = np.random.default_rng(0)
    feeds = {}
    for info in inputs:
        if info.kind == "map":      # a DictVectorizer's input: an empty map is a valid one
            feeds[info.name] = {}
            continue
        dtype = dtypes.NUMPY_OF.get(info.elem_type) if info.kind == "tensor" else None
        if dtype is None or info.shape is None:
            raise InputError(f"warm-up needs feeds: input {info.name!r} ({info.type_string}, shape "
                             f"{None if info.shape is None else list(info.shape)}) has no known tensor type and rank")
        shape = tuple(d if isinstance(d, int) and d > 0 else 1 for d in info.shape)
        if dtype.kind in "fc":
            feeds[info.name] = rng.standard_normal(shape).astype(dtype)
        elif dtype == object:
            feeds[info.name] = np.full(shape, "", dtype=object)
        else:
            feeds[info.name] = np.zeros(shape, dtype)
    return feeds


def warm(session, feeds=None, runs=2, timeout=None):
    """Run `session` `runs` times (each within `timeout` seconds, None: no
    limit); returns {"runs_ms": [...], "inputs": {name: shape}}. The session
    wraps this so that only WasmInferErrors escape (a bad `runs` included)."""
    if feeds is None:
        feeds = representative_feeds(session._input_info.values())
    times = []
    try:
        runs = max(1, int(runs))
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"warm-up: runs must be a positive integer, not {runs!r}") from None
    for _ in range(runs):
        t0 = time.perf_counter()
        session.run(None, feeds, timeout=timeout)
        times.append((time.perf_counter() - t0) * 1e3)
    return {"runs_ms": times, "inputs": {k: list(np.shape(v)) if not isinstance(v, dict) else "map"
                                         for k, v in feeds.items()}}
