"""Memory plans for a subgraph (an If branch), per signature of the values it
reads, as InferenceSession keeps them for the main graph: the first run with
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
build (loud with WASM_INFER_PLAN=strict, as for the main graph)."""
from collections import OrderedDict

import numpy as np

from . import plan as planning
from .errors import PlanError


class SubgraphPlans:
    MAX_PLANS = 8     # signatures kept per subgraph; the least recently used goes first

    def __init__(self, runner, constant):
        self.runner, self.constant = runner, constant
        self.mode = planning.mode()
        self.plans = OrderedDict()     # signature -> Plan, or None (runs unplanned)
        self.unplanned = {}            # signature -> why

    def run(self, scope):
        """The subgraph's outputs for the outer-scope values `scope` (name -> value)."""
        key = _signature(scope) if self.mode != "off" else None
        if key is None:
            return self.runner.run({}, scope)
        consts = {n: v for n, v in scope.items() if self.constant(n) is v}
        feeds = {n: v for n, v in scope.items() if n not in consts} if consts else scope
        plan = self.plans.get(key, False)
        if plan is None:
            return self.runner.run({}, scope)
        if plan is not False:
            self.plans.move_to_end(key)
            try:
                return plan.run(feeds, self.runner.output_names)
            except planning.ShapeChanged:      # a value's shape depends on the data: record that signature again
                del self.plans[key]
                return self.runner.run({}, scope)
        record = planning.Recorder()
        results = self.runner.run({}, scope, record=record)
        try:
            plan = planning.build(self.runner, feeds, record, outer_constants=consts)
            if plan is None:
                self.unplanned[key] = planning.NOTHING_BINDABLE
        except Exception as e:  # noqa: BLE001 (a plan is an optimisation: the results above are right)
            if self.mode == "strict":
                raise PlanError(f"no memory plan for {self.runner.where}: {type(e).__name__}: {e} "
                                "(WASM_INFER_PLAN=strict)") from e
            plan, self.unplanned[key] = None, f"building the plan failed: {type(e).__name__}: {e}"
        if len(self.plans) >= self.MAX_PLANS:
            oldest, _ = self.plans.popitem(last=False)
            self.unplanned.pop(oldest, None)
        self.plans[key] = plan
        return results


def _signature(scope):
    key = []
    for name, x in scope.items():
        if type(x) is not np.ndarray or x.dtype.names is not None or x.dtype.hasobject:
            return None
        key.append((name, x.shape, x.dtype.str))
    return tuple(key)
