import numpy as np

from ..errors import UnsupportedError
from .base import Op, register

_LEQ, _LT, _GTE, _GT, _EQ, _NEQ, _MEMBER = range(7)
_COMPARE = {_LEQ: np.less_equal, _LT: np.less, _GTE: np.greater_equal, _GT: np.greater,
            _EQ: np.equal, _NEQ: np.not_equal}


@register("TreeEnsemble", since=5, domain="ai.onnx.ml")
class TreeEnsemble(Op):
    """Sum / average / min / max of the leaf weights each sample reaches in
    every tree, per target. All samples descend a tree together, one level
    per step; a node sends a sample to its true branch when the comparison
    holds (or the feature is NaN and the node tracks missing values true)."""

    def init(self):
        a = self.attr
        self.aggregate = a("aggregate_function", 1)
        self.post = a("post_transform", 0)
        if self.post not in (0, 1, 2):
            raise UnsupportedError(f"node {self.node.name!r} (TreeEnsemble): post_transform {self.post} "
                                   "(SOFTMAX_ZERO / PROBIT) is not supported")
        self.n_targets = self.required_attr("n_targets")
        self.roots = list(self.required_attr("tree_roots"))
        self.feature = np.asarray(self.required_attr("nodes_featureids"), np.intp)
        self.modes = np.asarray(self.required_attr("nodes_modes")).astype(np.int64).reshape(-1)
        self.splits = np.asarray(a("nodes_splits", np.zeros(len(self.feature)))).astype(np.float64).reshape(-1)
        self.true_id = np.asarray(self.required_attr("nodes_truenodeids"), np.intp)
        self.false_id = np.asarray(self.required_attr("nodes_falsenodeids"), np.intp)
        self.true_leaf = np.asarray(self.required_attr("nodes_trueleafs"), np.bool_)
        self.false_leaf = np.asarray(self.required_attr("nodes_falseleafs"), np.bool_)
        missing = a("nodes_missing_value_tracks_true")
        self.missing_true = np.asarray(missing if missing else np.zeros(len(self.feature)), np.bool_)
        self.leaf_target = np.asarray(self.required_attr("leaf_targetids"), np.intp)
        self.leaf_weight = np.asarray(self.required_attr("leaf_weights")).astype(np.float64).reshape(-1)
        # BRANCH_MEMBER nodes take their sets, in order, from NaN-separated membership_values.
        self.members, values = {}, list(np.asarray(a("membership_values", []), np.float64).reshape(-1))
        for n in np.flatnonzero(self.modes == _MEMBER).tolist():
            cut = next((i for i, v in enumerate(values) if np.isnan(v)), len(values))
            self.members[n], values = np.asarray(values[:cut]), values[cut + 1:]

    def _descend(self, x, root):
        """Leaf index reached by every sample of x from `root`."""
        rows = np.arange(x.shape[0], dtype=np.intp)
        node = np.full(x.shape[0], root, np.intp)
        leaf = np.full(x.shape[0], -1, np.intp)
        if self.true_leaf[root] and self.false_leaf[root] and self.true_id[root] == self.false_id[root]:
            return np.full(x.shape[0], self.true_id[root], np.intp)   # a tree that is one leaf
        while rows.size:
            n = node[rows]
            v = x[rows, self.feature[n]]
            go_true = np.zeros(rows.size, np.bool_)
            for mode in np.unique(self.modes[n]).tolist():
                sel = self.modes[n] == mode
                if mode == _MEMBER:
                    go_true[sel] = [v_ in self.members[m] for v_, m in zip(v[sel].tolist(), n[sel].tolist())]
                else:
                    go_true[sel] = _COMPARE[mode](v[sel], self.splits[n[sel]])
            go_true |= np.isnan(v) & self.missing_true[n]
            nxt = np.where(go_true, self.true_id[n], self.false_id[n])
            done = np.where(go_true, self.true_leaf[n], self.false_leaf[n])
            leaf[rows[done]] = nxt[done]
            node[rows] = nxt
            rows = rows[~done]
        return leaf

    def run(self, x):
        x64 = x.astype(np.float64).reshape(x.shape[0], -1)
        n = x64.shape[0]
        start = {0: 0.0, 1: 0.0, 2: np.inf, 3: -np.inf}[self.aggregate]
        out = np.full((n, self.n_targets), start)
        reduce = {0: np.add, 1: np.add, 2: np.minimum, 3: np.maximum}[self.aggregate]
        for root in self.roots:
            leaves = self._descend(x64, root)
            reduce.at(out, (np.arange(n, dtype=np.intp), self.leaf_target[leaves]), self.leaf_weight[leaves])
        if self.aggregate == 0:
            out /= len(self.roots)
        if self.aggregate in (2, 3):   # targets no leaf reached stay 0
            out[np.isinf(out)] = 0.0
        if self.post == 1:
            e = np.exp(out - out.max(axis=1, keepdims=True))
            out = e / e.sum(axis=1, keepdims=True)
        elif self.post == 2:
            out = 1 / (1 + np.exp(-out))
        return (out.astype(x.dtype),)
