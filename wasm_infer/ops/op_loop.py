import numpy as np

from .. import limits
from ..errors import ModelError
from .base import Op, register
from ._subgraph import append_step, compile_graphs, split_scope


@register("Loop", since=1)
class Loop(Op):
    """inputs: M (max trip count, optional), cond (optional), loop-carried
    initial values. The body maps (iteration, cond, carried...) to (cond,
    carried..., scan outputs...); scan outputs are stacked along a new axis 0."""
    deterministic = False

    def init(self):
        (self.body,) = compile_graphs(self, "body")
        self.body_inputs = [v.name for v in self.body.graph.inputs]
        self.n_carried = len(self.node.inputs) - 2

    def run(self, *args):
        (trip, cond, *carried), scope = split_scope(self, args)
        limit = None if trip is None else int(np.asarray(trip).reshape(-1)[0])
        go = True if cond is None else bool(np.asarray(cond).reshape(-1)[0])
        n_out = len(self.body.output_names) - 1
        scans = [[] for _ in range(n_out - self.n_carried)]
        i = 0
        run_state, where = limits.current_run(), f"node {self.node.name!r} (Loop)"
        while go and (limit is None or i < limit):
            run_state.trip(where)     # the run's iteration budget and deadline: an endless Loop ends
            feeds = dict(zip(self.body_inputs, [np.array(i, dtype=np.int64), np.array(go), *carried]))
            out = self.body.run(feeds, scope)
            go = bool(np.asarray(out[0]).reshape(-1)[0]) if out[0] is not None else go
            carried = out[1:1 + self.n_carried]
            for acc, value in zip(scans, out[1 + self.n_carried:]):
                append_step(self, acc, value)
            i += 1
        if len(carried) != self.n_carried:
            raise ModelError(f"Loop {self.node.name!r}: body returned {len(carried)} carried values, "
                             f"expected {self.n_carried}")
        stacked = [np.stack(acc) if acc else np.zeros((0,), dtype=np.float32) for acc in scans]
        return (*carried, *stacked)
