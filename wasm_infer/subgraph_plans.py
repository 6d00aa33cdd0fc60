"""Memory plans for a subgraph (an If branch), per signature of the values it
reads, as InferenceSession keeps them for the main graph. An If inside a
planned graph is usually inlined into that plan instead (inline_if.py);
these plans serve the Ifs that are not (the If's condition flipped since it
was inlined, or the enclosing graph has no plan). The first run with
a signature records it through the subgraph's GraphRunner, the plan is built
from that record, and later runs are the plan's list of bound steps. So a
model whose whole graph sits inside an If (voice-activity models exported
with a sample-rate switch) keeps its kernels and its arena, and its shape
computations are done once, at plan time.

The values a branch reads (its outer-scope names) are the plan's feeds,
except those that are initializers of the enclosing graph (`constant(name)`
is that very array): they are static, as the branch's own initializers, so
what is computed from them (weights sliced and concatenated for an LSTM) is
done at plan time. A signature whose values are not all plain arrays (a
sequence, an optional) runs unplanned, and so does one whose plan fails to
build (loud with WASM_INFER_PLAN=strict, as for the main graph). A plan that
raises ShapeChanged (an adopted value's shape, or an inlined nested If that
flipped: BranchChanged) is dropped, and the signature's next plan leaves
that value, or that If, alone (`no_adopt`), as the session does.

`profiling()` times the planned subgraphs' steps too, for the benchmark's
per-op breakdown (InferenceSession.profile_run times only the main graph's
nodes, an If with all its branch's work)."""
import time
from collections import OrderedDict
from contextlib import contextmanager

import numpy as np

from . import plan as planning
from .errors import PlanError, ResourceError


class SubgraphPlans:
    MAX_PLANS = 8     # signatures kept per subgraph; the least recently used goes first

    def __init__(self, runner, constant, owner=""):
        self.runner, self.constant = runner, constant
        self.owner = owner             # name of the node whose subgraph this is (profiling)
        self.mode = planning.mode()
        self.plans = OrderedDict()     # signature -> Plan, or None (runs unplanned)
        self.unplanned = {}            # signature -> why
        self.no_adopt = {}             # signature -> values not to adopt, If conditions not to inline
        self._constants = None         # outer-scope name -> its constant (found on the first run)

    def run(self, scope):
        """The subgraph's outputs for the outer-scope values `scope` (name -> value)."""
        key = _signature(scope) if self.mode != "off" else None
        if key is None:
            return self.runner.run({}, scope)
        plan = self.plans.get(key, False)
        if plan is None:
            return self.runner.run({}, scope)
        if self._constants is None:    # the scope's names are the If's implicit inputs: always the same
            self._constants = {n: c for n in scope if (c := self.constant(n)) is not None}
        consts = {n: v for n, v in scope.items() if self._constants.get(n) is v}
        feeds = {n: v for n, v in scope.items() if n not in consts} if consts else scope
        if plan is not False:
            self.plans.move_to_end(key)
            try:
                if _PROFILE is not None:
                    return _PROFILE.run(self.owner, plan, feeds, self.runner.output_names)
                return plan.run(feeds, self.runner.output_names)
            except planning.ShapeChanged as e:  # a value's shape depends on the data, or an inlined If
                del self.plans[key]              # flipped: record that signature again, without it
                self.no_adopt.setdefault(key, set()).add(e.name)
                return self.runner.run({}, scope)
        record = planning.Recorder()
        results = self.runner.run({}, scope, record=record)
        try:
            plan = planning.build(self.runner, feeds, record, self.no_adopt.get(key, frozenset()),
                                  outer_constants=consts)
            if plan is None:
                self.unplanned[key] = planning.NOTHING_BINDABLE
        except ResourceError:   # the arena would exceed the memory budget: refused, as any allocation
            raise
        except Exception as e:  # noqa: BLE001 (a plan is an optimisation: the results above are right)
            if self.mode == "strict":
                raise PlanError(f"no memory plan for {self.runner.where}: {type(e).__name__}: {e} "
                                "(WASM_INFER_PLAN=strict)") from e
            plan, self.unplanned[key] = None, f"building the plan failed: {type(e).__name__}: {e}"
        if len(self.plans) >= self.MAX_PLANS:
            oldest, _ = self.plans.popitem(last=False)
            self.unplanned.pop(oldest, None)
            self.no_adopt.pop(oldest, None)
        self.plans[key] = plan
        return results


def _signature(scope):
    key = []
    for name, x in scope.items():
        if type(x) is not np.ndarray or x.dtype.names is not None or x.dtype.hasobject:
            return None
        key.append((name, x.shape, x.dtype))
    return tuple(key)


class Profile:
    """What `profiling()` collects during one run: each step of a planned
    subgraph as (op type, node name, ms, "kernel" or "numpy"), its ms
    including the subgraphs it runs itself, and per node owning subgraphs
    (by name) the ms of its subgraphs' steps. A subgraph that runs unplanned
    is not broken down: its owner's time includes it."""

    def __init__(self, clock):
        self.clock = clock
        self.records = []
        self.inner_ms = {}

    def run(self, owner, plan, feeds, names):
        out = []
        records = plan.profile(feeds, names, self.clock, out)
        for (op_type, name, ms), how in zip(records, plan.kinds):
            self.records.append((op_type, name, ms, "kernel" if how == "bound" else "numpy"))
        self.inner_ms[owner] = self.inner_ms.get(owner, 0.0) + sum(ms for _, _, ms in records)
        return out

    def own_ms(self, name, ms):
        """A step's time without the steps of its planned subgraphs (timed on their own)."""
        return ms - self.inner_ms.get(name, 0.0)


_PROFILE = None


@contextmanager
def profiling(clock=time.perf_counter):
    """Within it, planned subgraphs time their steps into the Profile it yields."""
    global _PROFILE
    outer, _PROFILE = _PROFILE, Profile(clock)
    try:
        yield _PROFILE
    finally:
        _PROFILE = outer
