import numpy as np

from .. import inline_if
from ..errors import ModelError
from ..plan import Recorder
from ..subgraph_plans import SubgraphPlans
from .base import Op, register
from ._subgraph import compile_graphs, split_scope


@register("If", since=1)
class If(Op):
    deterministic = False  # never folded: it has subgraphs

    def init(self):
        self.then_branch, self.else_branch = compile_graphs(self, "then_branch", "else_branch")
        # each branch planned per signature of what it reads, like the main graph
        self.then_plans, self.else_plans = (SubgraphPlans(b, self.ctx.constant, self.node.name)
                                            for b in (self.then_branch, self.else_branch))

    def run(self, *args):
        (cond,), scope = split_scope(self, args)
        cond = np.asarray(cond)
        if cond.size != 1:
            raise ModelError(f"If {self.node.name!r}: the condition must hold one value, it has shape {list(cond.shape)}")
        taken = bool(cond.reshape(-1)[0])
        record = inline_if.recording()
        if record is not None:      # a recording run: the plan may inline the branch (inline_if)
            child = Recorder()
            out = (self.then_branch if taken else self.else_branch).run({}, scope, record=child)
            record.branches[self] = (taken, child)
            return tuple(out)
        return tuple((self.then_plans if taken else self.else_plans).run(scope))
