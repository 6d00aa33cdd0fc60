"""InferenceSession: the onnxruntime-shaped entry point.

Results the caller owns are made in session_results.py, profile_run in session_profile.py.
"""
import gc
import math
import os
import sys
import threading
import warnings
from collections import OrderedDict
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np

from . import dtypes, ir, limits, plan as planning, session_profile
from .errors import (InputError, ModelError, PlanError, PlanWarning, ResourceError, UnsupportedError,
                     reraise_unexpected)
from .graph_runner import Context, GraphRunner
from .session_feeds import check_feeds
from .session_results import detach, held_arrays

MAX_IR_VERSION = 14          # ONNX 1.23 writes IR 14
MAX_OPSET = {"": 28, "ai.onnx": 28, "ai.onnx.ml": 5, "ai.onnx.preview.training": 1,
             "ai.wasm_infer": 1}  # ONNX 1.23


@dataclass
class NodeArg:
    """What get_inputs()/get_outputs() return, as in onnxruntime."""
    name: str
    shape: list
    type: str


def _read(path_or_bytes):
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return path_or_bytes
    try:
        with open(os.fspath(path_or_bytes), "rb") as f:
            return f.read()
    except TypeError:
        raise ModelError(f"expected a model path or bytes, got {type(path_or_bytes).__name__}") from None
    except OSError as e:
        raise ModelError(f"cannot read model file {os.fspath(path_or_bytes)!r}: {e.strerror}") from None


class InferenceSession:
    """Load an ONNX model and run it.

        sess = wasm_infer.InferenceSession("model.onnx")
        (logits,) = sess.run(None, {"input": x})

    backend: "auto" (kernels when running in Pyodide with WebAssembly SIMD,
    else NumPy) or "numpy". The environment variable WASM_INFER_BACKEND=numpy
    forces NumPy too. WASM_INFER_PLAN (read here, see plan.mode) decides what
    a failing memory plan does: warn once and run unplanned, or raise.
    """

    def __init__(self, path_or_bytes, backend="auto"):
        with _young_collections_only(), _ieee():    # loading folds constants: it runs ops
            self._load(path_or_bytes, backend)

    @reraise_unexpected("cannot load the model")   # errors.py: no exception but WasmInferError escapes
    def _load(self, path_or_bytes, backend):
        from . import kernels as kernel_module
        if backend not in ("auto", "numpy"):
            raise ValueError(f"backend must be 'auto' or 'numpy', not {backend!r}")
        try:
            self._plan_mode = planning.mode()
        except ValueError as e:
            raise ValueError(str(e)) from None      # raised here: a caller's error, not a ModelError
        self.model = model = ir.load_source(path_or_bytes)
        if model.ir_version > MAX_IR_VERSION:
            raise UnsupportedError(f"model IR version {model.ir_version} is newer than the newest this "
                                   f"runtime supports ({MAX_IR_VERSION})")
        imports = [("model", model.opsets)] + [(f"function {f.name!r}", f.opsets) for f in model.functions.values()]
        for who, opsets in imports:
            for domain, version in opsets.items():
                newest = MAX_OPSET.get(domain)
                if newest is not None and version > newest:
                    raise UnsupportedError(f"{who} uses opset {version} of domain {domain or 'ai.onnx'!r}; "
                                           f"this runtime supports up to {newest}")
        graph = model.graph
        # As onnxruntime (IR >= 4): a graph input that has an initializer may be fed, the feed
        # replacing it. It becomes an input whose default is the initializer, so no pass folds it.
        self._defaults = {}
        if model.ir_version >= 4:
            for v in graph.overridable:
                self._defaults[v.name] = graph.initializers.pop(v.name)
                graph.inputs.append(v)
        use_kernels = backend == "auto" and kernel_module.available()
        debug = os.environ.get("WASM_INFER_DEBUG", "") not in ("", "0", "checks")   # checks: guards.py
        self.ctx = Context(model.opsets, graph.initializers, kernel_module if use_kernels else None,
                           model.functions, debug, budget=model.budget)
        self.backend = kernel_module.flavour() if use_kernels else "numpy"
        self._runner = GraphRunner(graph, self.ctx)
        self._inputs = [NodeArg(v.name, list(v.shape) if v.shape is not None else None, v.type_string)
                        for v in graph.inputs]
        self._outputs = [NodeArg(v.name, list(v.shape) if v.shape is not None else None, v.type_string)
                         for v in graph.outputs]
        self._inputs = [a for a in self._inputs if a.name not in self._defaults]
        self._input_info = {v.name: v for v in graph.inputs}
        self._output_set = frozenset(o.name for o in self._outputs)
        self._has_loops = _has_loops(graph)     # Loop/Scan count their iterations against the run's budget
        # input-shape signature -> Plan (or None: use the slow path), see plan.py; least recently
        # used first, at most WASM_INFER_MAX_PLANS signatures: ever-new shapes cannot grow memory
        self._plans = OrderedDict()
        self._state_ids = None   # ids of arrays the session holds (see _detach), made at the first run
        self._unplanned = {}     # signature (None: feeds that have none) -> why it runs unplanned
        self._warned = False     # PlanWarning: once per session
        self._no_adopt = {}      # signature -> values whose shape depends on the input values
        self._use_plans = self._plan_mode != "off"

    @property
    def _steps(self):
        """(op, input names, output names) of the main graph, in run order."""
        return self._runner.steps

    def get_inputs(self):
        return list(self._inputs)

    def get_outputs(self):
        return list(self._outputs)

    def get_providers(self):
        return [f"wasm_infer:{self.backend}"]

    def get_overridable_initializers(self):
        """Graph inputs that have an initializer (IR >= 4): `run` may feed them,
        the feed replacing the initializer for that run, as in onnxruntime."""
        return [NodeArg(v.name, list(v.shape) if v.shape is not None else None, v.type_string)
                for v in self.model.graph.inputs if v.name in self._defaults]

    @reraise_unexpected("warm-up failed")   # only WasmInferErrors escape, as from run
    def warmup(self, feeds=None, runs=2, *, timeout=None):
        """Run the model `runs` times on `feeds` (default: representative inputs
        built from the declared inputs, symbolic dims = 1), so the first real
        request finds its plan built and kernels compiled. See warmup.py.
        `timeout`: seconds each run may take, as in `run`."""
        from .warmup import warm
        try:
            _run_timeout(timeout, None)
        except ValueError as e:
            raise ValueError(str(e)) from None      # raised here: the caller's error, not a ModelError
        return warm(self, feeds, runs, timeout)

    def _check_feeds(self, feeds):
        check_feeds(feeds, self._input_info, self._defaults, self._inputs)

    @reraise_unexpected("run failed")   # errors.py: no exception but WasmInferError escapes
    def run(self, output_names, input_feed, run_options=None, *, timeout=None):
        """Run the model; returns a list of numpy arrays in the order of
        `output_names` (all outputs when None). The arrays are the caller's:
        they never share memory with the session or with each other.

        timeout: seconds the run may take (DeadlineError after, naming the node
        reached; checked between steps, Loop/Scan iterations and the steps of
        ops that loop in Python over their data, such as an LSTM's). It may also
        come as `run_options`, a dict {"timeout": s} or any object with a
        `timeout` attribute (None: none); with both, the smaller applies. A
        timeout that is not a positive number is a ValueError."""
        if timeout is not None or run_options is not None:
            try:
                timeout = _run_timeout(timeout, run_options)
            except ValueError as e:
                raise ValueError(str(e)) from None      # raised here: the caller's error, not a ModelError
        input_feed = dict(input_feed) if isinstance(input_feed, dict) else input_feed
        self._check_feeds(input_feed)
        if output_names is None:
            names = [o.name for o in self._outputs]
        elif isinstance(output_names, str):     # list("logits") would be six names
            raise TypeError(f"output_names must be a list of output names or None, not the str {output_names!r}; "
                            f"write [{output_names!r}]")
        else:
            names = list(output_names)
            known = self._output_set
            for n in names:
                if n not in known:
                    raise InputError(f"unknown output name {n!r}; the model's outputs are {sorted(known)}")
        # Natively, exotic outputs as ml_dtypes arrays (dtypes.to_ml_dtypes); Pyodide keeps ours.
        return [dtypes.to_ml_dtypes(r) for r in self._run(input_feed, names, timeout)]

    MAX_PLANS = 8     # input-shape signatures whose plans are kept (WASM_INFER_MAX_PLANS)

    def _run(self, feeds, names, timeout=None):
        with _ieee():
            if timeout is None and not self._has_loops:     # nothing to time or count: no RunState
                results, recorded = self._run_inner(feeds, names)
            else:
                with limits.running(limits.RunState(timeout)):
                    results, recorded = self._run_inner(feeds, names)
        if recorded is None:       # the plan copied every result out of its arena: fresh arrays already
            return results
        return self._detach(results, feeds, recorded)

    def _run_inner(self, feeds, names):
        """(results, whether this was the recording run: its record, kept by the plan, holds them;
        None when the plan copied every result, so none can share memory with anything)"""
        key = planning.signature(self._runner, feeds) if self._use_plans else None
        if key is None:
            if self._use_plans:
                self._unplanned[None] = ("a feed is not a plain numeric array (a sequence, optional, "
                                         "string or structured value)", _describe(feeds))
            return self._runner.run(feeds, names=names), False
        plan = self._plans.get(key, False)
        if plan is not False:
            self._plans.move_to_end(key)          # least recently used is evicted first
            if plan is None:
                return self._runner.run(feeds, names=names), False
            try:
                copy_out = plan.copy_out
                return plan.run(feeds, names), None if all(n in copy_out for n in names) else False
            except planning.ShapeChanged as e:
                self._shape_changed(key, e)
                return self._runner.run(feeds, names=names), False
        record = planning.Recorder()
        with _young_collections_only():     # as in __init__: recording and planning make many objects
            results = self._runner.run(feeds, names=names, record=record)
            try:
                plan = planning.build(self._runner, feeds, record, self._no_adopt.get(key, frozenset()))
                why = planning.NOTHING_BINDABLE if plan is None else None
            except ResourceError:   # the arena would exceed the memory budget: refused, as any allocation
                raise
            except Exception as e:  # noqa: BLE001 (a plan is an optimisation: the results above are right)
                plan, why = None, f"building the plan failed: {type(e).__name__}: {e}"
                self._plan_failed(key, e)
        while len(self._plans) >= limits._env_count("WASM_INFER_MAX_PLANS", self.MAX_PLANS):
            oldest, _ = self._plans.popitem(last=False)
            self._unplanned.pop(oldest, None)
            self._no_adopt.pop(oldest, None)
        self._plans[key] = plan
        if why is not None:
            self._unplanned[key] = (why, _inputs_of(key))
        if self.ctx.debug:
            print(f"[wasm_infer] plan for {key}: {plan.memory_info()}" if plan is not None else
                  f"[wasm_infer] no plan for {key}: {why}")
            for step in plan.step_info() if plan is not None else ():
                print(f"[wasm_infer]   {step['how']:<5} {step['op_type']:<20} {step['node']:<40} {step['note']}")
        return results, True

    def _detach(self, results, feeds, recorded):
        """Copy each result that may share memory with the session (an
        initializer, a Constant's or an If branch's value, anything an op
        keeps, a value the plan keeps from the recording run), with a feed or
        with another result; fresh arrays pass as they are. onnxruntime
        returns fresh arrays: a caller's `y -= y.max()` must not change the
        next run. A result is fresh when the array at the root of its
        views owns its memory, is writeable, and is none of the above."""
        if self._state_ids is None:
            with _young_collections_only():     # a walk over every op: no full collection meanwhile
                self._state_ids = held_arrays(self._runner, self._defaults)
        return detach(results, feeds, recorded, self._state_ids)

    MAX_REPLANS = 16

    def _shape_changed(self, key, error):
        """An adopted value changed shape (plan.ShapeChanged): the next run with
        these inputs records again and plans without adopting it; after
        MAX_REPLANS such values the signature stays unplanned."""
        del self._plans[key]
        skip = self._no_adopt.setdefault(key, set())
        skip.add(error.name)
        if len(skip) > self.MAX_REPLANS:
            self._plans[key] = None
            self._unplanned[key] = (f"values change shape from run to run (last: {error})", _inputs_of(key))

    def _plan_failed(self, key, error):
        """A plan that raises is a bug: loud in strict mode, a warning (once per session) otherwise."""
        what = f"no memory plan for inputs {_inputs_of(key)}: {type(error).__name__}: {error}"
        if self._plan_mode == "strict":
            raise PlanError(f"{what} (WASM_INFER_PLAN=strict)") from error
        if not self._warned:
            self._warned = True
            warnings.warn(f"{what}; these inputs run unplanned (slower). session.plan_info() lists the "
                          "unplanned input signatures; WASM_INFER_PLAN=strict raises instead",
                          PlanWarning, stacklevel=5)

    def plan_info(self):
        """How each input signature seen so far runs: {"mode": "on" | "strict"
        | "off" (WASM_INFER_PLAN), "planned": memory_info()'s plans, each with
        "step_info" (per step: node, op_type, how ("bound"/"numpy") and a note:
        the lowering that computes it, or why NumPy does), "unplanned":
        [{"inputs": [[shape, dtype]...], "reason"}]}. A reason starting with
        "building the plan failed" is a bug worth reporting; "nothing bindable"
        means the model has nothing a plan could speed up for those inputs."""
        planned = [{"inputs": _inputs_of(key), **p.memory_info(), "step_info": p.step_info()}
                   for key, p in self._plans.items() if p is not None]
        return {"mode": self._plan_mode, "planned": planned,
                "unplanned": [{"inputs": inputs, "reason": why} for why, inputs in self._unplanned.values()]}

    def memory_info(self):
        """The memory plans made so far (one per input-shape signature):
        {"arena_bytes": peak arena bytes of the latest plan, "plans": [{"inputs":
        [[shape, dtype]...], "arena_bytes", "buffers", "unshared_bytes", "steps"}]}.
        unshared_bytes is what the same buffers would take without sharing."""
        plans = [{"inputs": _inputs_of(key), **p.memory_info()} for key, p in self._plans.items() if p is not None]
        return {"arena_bytes": plans[-1]["arena_bytes"] if plans else 0, "plans": plans}

    def profile_run(self, input_feed, output_names=None):
        """Run once like `run` and time every node of the main graph.

        Returns [(op_type, node_name, ms)] in run order; a node with subgraphs
        (If, Loop, Scan) includes their time. For `python3 build.py bench`'s
        per-op breakdown: the timing wraps each step's op only for this call,
        so `run` itself pays nothing. When the input shapes have a memory plan
        (made by a first `run`), the plan's steps are timed: nodes computed
        at plan time and view-only nodes do not appear."""
        with _ieee():
            return session_profile.profile_run(self, input_feed, output_names)


def _ieee():
    """Floating-point results as IEEE 754 gives them, silently, as in onnxruntime: exp(100)
    is inf and log(0) -inf with no RuntimeWarning from NumPy (it would name our op's file, not
    the caller's code, on every new line that warns), and a caller's np.seterr(all="raise")
    does not turn such a result into an error. The caller's own settings are back after.
    WebAssembly has no floating-point flags, so NumPy in Pyodide never sees one: nothing to
    set there (it would cost 1.7 us a run)."""
    return _NO_FLAGS if _WASM else np.errstate(all="ignore")


_WASM = sys.platform == "emscripten"
_NO_FLAGS = nullcontext()


def _run_timeout(timeout, run_options):
    """The run's timeout in seconds (None: none) from `timeout=` and
    `run_options` (a dict with "timeout", or an object with a `timeout`
    attribute, e.g. a compat layer's RunOptions); the smaller of the two."""
    found = [timeout]
    if isinstance(run_options, dict):
        found.append(run_options.get("timeout"))
    elif run_options is not None:
        found.append(getattr(run_options, "timeout", None))
    found = [t for t in found if t is not None]
    for t in found:
        if isinstance(t, bool) or not isinstance(t, (int, float, np.integer, np.floating)) or \
                not t > 0 or math.isnan(t):
            raise ValueError(f"timeout must be a positive number of seconds (or None), not {t!r}")
    return float(min(found)) if found else None


def _has_loops(graph):
    """Does the graph or any subgraph hold a Loop or Scan?"""
    for node in graph.nodes:
        if node.domain == "" and node.op_type in ("Loop", "Scan"):
            return True
        if node.attrs and any(_has_loops(g) for g in ir.subgraphs(node)):   # no attributes: no subgraph
            return True
    return False


@contextmanager
def _young_collections_only():
    """Loading, recording and planning make a few Python objects per node
    that live as long as the session, and no cycles. The collector stays on
    for its young generations, so each object is visited once or twice
    while it is still in the CPU's caches, but no full collection runs: with
    the default thresholds those would rescan everything made so far again
    and again (time superlinear in nodes). Pausing the collector instead
    leaves every object to the first collection afterwards, which reads
    them all back from main memory (at 100,000 nodes, 3x the time per
    object of a 10,000-node model). Only the full collections' threshold
    changes: a collector the caller switched off stays off."""
    with _collector_lock:
        if _collector_state[0] == 0:     # the outermost of nested (or concurrent) sessions saves and restores
            _collector_state[1] = gc.get_threshold()
            gc.set_threshold(_collector_state[1][0], _collector_state[1][1], 1 << 30)
        _collector_state[0] += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_state[0] -= 1
            if _collector_state[0] == 0:
                gc.set_threshold(*_collector_state[1])


_collector_lock = threading.Lock()
_collector_state = [0, None]    # sessions inside _young_collections_only, the thresholds they restore


def _inputs_of(key):
    """[[shape, dtype]...] of an input-shape signature, as memory_info shows it."""
    return [[list(shape), dtype] for shape, dtype in key]


def _describe(feeds):
    """[[shape, dtype] or a type name] per feed, for feeds that have no signature."""
    return [[list(v.shape), v.dtype.str] if isinstance(v, np.ndarray) else type(v).__name__
            for v in feeds.values()]
