from .base import Op, register
from ._subgraph import compile_graphs, split_scope


@register("SequenceMap", since=17)
class SequenceMap(Op):
    """Runs the body once per element of the first input; further inputs are
    sequences (element i is passed) or tensors (passed whole every time)."""
    deterministic = False

    def init(self):
        (self.body,) = compile_graphs(self, "body")
        self.body_inputs = [v.name for v in self.body.graph.inputs]

    def run(self, *args):
        inputs, scope = split_scope(self, args)
        outs = [[] for _ in self.body.output_names]
        for i in range(len(inputs[0])):
            feeds = [x[i] if isinstance(x, list) else x for x in inputs]
            for acc, value in zip(outs, self.body.run(dict(zip(self.body_inputs, feeds)), scope)):
                acc.append(value)
        return tuple(outs)
