import numpy as np

from ..errors import ModelError
from .base import Op, register
from ._subgraph import compile_graphs, split_scope


@register("If", since=1)
class If(Op):
    deterministic = False  # never folded: it has subgraphs

    def init(self):
        self.then_branch, self.else_branch = compile_graphs(self, "then_branch", "else_branch")

    def run(self, *args):
        (cond,), scope = split_scope(self, args)
        cond = np.asarray(cond)
        if cond.size != 1:
            raise ModelError(f"If {self.node.name!r}: the condition must hold one value, it has shape {list(cond.shape)}")
        branch = self.then_branch if bool(cond.reshape(-1)[0]) else self.else_branch
        return tuple(branch.run({}, scope))
