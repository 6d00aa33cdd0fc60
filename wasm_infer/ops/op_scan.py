import numpy as np

from .. import limits
from .base import Op, register
from ._subgraph import append_step, compile_graphs, split_scope


def _axes(values, count, rank_of):
    """Normalised axis per scan input/output (negative counts from the end)."""
    values = list(values) if values is not None else [0] * count
    return [a + rank_of(i) if a < 0 else a for i, a in enumerate(values)]


@register("Scan", since=9)
class Scan(Op):
    """inputs: N state variables, then M scan inputs sliced along their scan
    axis; the body maps (state..., slices...) to (state..., per-step outputs...)
    and the per-step outputs are stacked along the scan output axis."""
    deterministic = False

    def init(self):
        (self.body,) = compile_graphs(self, "body")
        self.m = self.required_attr("num_scan_inputs")
        self.body_inputs = [v.name for v in self.body.graph.inputs]

    def scan(self, states, xs, scope):
        n, m = len(states), len(xs)
        in_axes = _axes(self.attr("scan_input_axes"), m, lambda i: xs[i].ndim)
        in_dirs = list(self.attr("scan_input_directions") or [0] * m)
        steps = xs[0].shape[in_axes[0]] if xs else 0
        k = len(self.body.output_names) - n
        outs = [[] for _ in range(k)]
        run_state, where = limits.current_run(), f"node {self.node.name!r} (Scan)"
        for t in range(steps):
            run_state.trip(where)     # the run's iteration budget and deadline
            slices = [np.take(x, steps - 1 - t if d else t, axis=a) for x, a, d in zip(xs, in_axes, in_dirs)]
            res = self.body.run(dict(zip(self.body_inputs, [*states, *slices])), scope)
            states = res[:n]
            for acc, v in zip(outs, res[n:]):
                append_step(self, acc, v)
        out_dirs = list(self.attr("scan_output_directions") or [0] * k)
        out_axes = list(self.attr("scan_output_axes") or [0] * k)
        stacked = []
        for acc, a, d in zip(outs, out_axes, out_dirs):
            if d:
                acc = acc[::-1]
            y = np.stack(acc) if acc else np.zeros((0,), np.float32)
            a = a + y.ndim if a < 0 else a
            stacked.append(np.moveaxis(y, 0, a) if a else y)
        return list(states), stacked

    def run(self, *args):
        inputs, scope = split_scope(self, args)
        n = len(inputs) - self.m
        states, stacked = self.scan(inputs[:n], inputs[n:], scope)
        return (*states, *stacked)


@register("Scan", since=8)
class Scan8(Scan):
    """Opset 8: a leading batch axis on every input and output, and an
    optional sequence_lens input (all steps when absent)."""

    def init(self):
        (self.body,) = compile_graphs(self, "body")
        self.m = self.required_attr("num_scan_inputs")
        self.body_inputs = [v.name for v in self.body.graph.inputs]

    def run(self, *args):
        (lens, *inputs), scope = split_scope(self, args)
        n = len(inputs) - self.m
        batch = inputs[0].shape[0]
        all_states, all_outs = [], []
        for b in range(batch):
            xs = [x[b] for x in inputs[n:]]
            if lens is not None:
                xs = [x[:int(lens[b])] for x in xs]
            states, outs = self.scan([s[b] for s in inputs[:n]], xs, scope)
            all_states.append(states)
            all_outs.append(outs)
        states = [np.stack([s[i] for s in all_states]) for i in range(n)]
        outs = [np.stack([o[i] for o in all_outs]) for i in range(len(all_outs[0]))] if all_outs else []
        return (*states, *outs)
