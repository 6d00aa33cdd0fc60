"""The tree ensembles of ai.onnx.ml opsets 1-3 (TreeEnsembleRegressor and
TreeEnsembleClassifier, what scikit-learn's forests and boosted trees export
to): nodes named by (tree id, node id), and per leaf any number of
(target or class, weight) pairs.

All samples descend all trees together, one level per step: a node sends a
sample to its true branch when its comparison holds, or when the feature is
NaN and the node tracks missing values true. Then each leaf reached adds its
weights to its sample's scores."""
import numpy as np

from ..errors import UnsupportedError

MODES = ("BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ", "LEAF")
_LEAF = MODES.index("LEAF")
_COMPARE = (np.less_equal, np.less, np.greater_equal, np.greater, np.equal, np.not_equal)


def _floats(op, name):
    """A float attribute, or its `<name>_as_tensor` form (opset 3), as float64; None when absent."""
    tensor = op.attr(f"{name}_as_tensor")
    if tensor is not None:
        return np.asarray(tensor, np.float64).reshape(-1)
    values = op.attr(name)
    return None if values is None else np.asarray(values, np.float64).reshape(-1)


class Trees:
    """The nodes of every tree, indexed 0..n-1, and the weights of the leaves.
    `prefix`: "target" (regressor) or "class" (classifier)."""

    def __init__(self, op, prefix, width):
        """width: the targets or classes the weights go to (their ids are checked against it)."""
        a = op.required_attr
        tree, node = np.asarray(a("nodes_treeids"), np.int64), np.asarray(a("nodes_nodeids"), np.int64)
        n = len(tree)
        per_node = {"nodes_nodeids": node, "nodes_featureids": a("nodes_featureids"), "nodes_modes": a("nodes_modes"),
                    "nodes_truenodeids": a("nodes_truenodeids"), "nodes_falsenodeids": a("nodes_falsenodeids")}
        values = _floats(op, "nodes_values")
        missing = op.attr("nodes_missing_value_tracks_true")
        per_node.update({k: v for k, v in (("nodes_values", values), ("nodes_missing_value_tracks_true", missing))
                         if v is not None and len(v)})
        _same_lengths("nodes_treeids", n, per_node)
        index = {(t, i): k for k, (t, i) in enumerate(zip(tree.tolist(), node.tolist()))}
        if len(index) != n:
            raise UnsupportedError("two nodes have the same (tree id, node id)")
        modes = list(a("nodes_modes"))
        unknown = sorted(set(modes) - set(MODES))
        if unknown:
            raise UnsupportedError(f"node mode {unknown[0]!r} is not one of {', '.join(MODES)}")
        self.mode = np.array([MODES.index(m) for m in modes], np.int64)
        self.feature = np.asarray(a("nodes_featureids"), np.intp)
        branch_features = self.feature[self.mode != _LEAF]
        if (branch_features < 0).any():      # (a leaf's feature id is never read)
            raise UnsupportedError(f"a node reads feature {int(branch_features.min())}: feature ids are >= 0")
        self.split = values if values is not None and len(values) else np.zeros(n)
        self.missing_true = np.asarray(missing if missing else np.zeros(n), np.bool_)

        def child(ids):
            out = np.full(n, -1, np.intp)
            for i, (t, c) in enumerate(zip(tree.tolist(), np.asarray(ids, np.int64).tolist())):
                if self.mode[i] != _LEAF:
                    if (t, c) not in index:
                        raise UnsupportedError(f"node {i} of tree {t} branches to node {c}, which the tree lacks")
                    out[i] = index[t, c]
            return out
        self.true_id, self.false_id = child(a("nodes_truenodeids")), child(a("nodes_falsenodeids"))
        self.roots = self._check_forest(tree)
        self.n_trees = len(self.roots)
        # leaf weights, as a table per node: weights of node i are entries start[i]:start[i + 1]
        w_node = np.asarray(a(f"{prefix}_nodeids"), np.int64)
        weights = _floats(op, f"{prefix}_weights")
        _same_lengths(f"{prefix}_nodeids", len(w_node), {f"{prefix}_treeids": a(f"{prefix}_treeids"),
                                                         f"{prefix}_ids": a(f"{prefix}_ids"),
                                                         f"{prefix}_weights": weights})
        w_tree = np.asarray(a(f"{prefix}_treeids"), np.int64).tolist()
        w_leaf = np.array([index.get((t, i), -1) for t, i in zip(w_tree, w_node.tolist())], np.intp)
        if (w_leaf < 0).any():
            raise UnsupportedError(f"a {prefix} weight names a node that no tree has")
        targets = np.asarray(a(f"{prefix}_ids"), np.intp)
        if targets.size and (targets.min() < 0 or targets.max() >= width):
            bad = int(targets.min()) if targets.min() < 0 else int(targets.max())
            kinds = "classes" if prefix == "class" else "targets"
            raise UnsupportedError(f"{prefix} id {bad} is not one of the {width} {kinds}")
        order = np.argsort(w_leaf, kind="stable")
        self.w_target, self.w_value = targets[order], weights[order]
        self.start = np.searchsorted(w_leaf[order], np.arange(n + 1))
        self.depth = self._depth()
        # for the descent: a leaf branches to itself (feature 0 is read and ignored), and the
        # one comparison all branch nodes share when they do (scikit-learn's trees: BRANCH_LEQ)
        here = np.arange(n, dtype=np.intp)
        leaf = self.mode == _LEAF
        self.step_true, self.step_false = np.where(leaf, here, self.true_id), np.where(leaf, here, self.false_id)
        self.feature = np.where(leaf, 0, self.feature)
        modes = set(self.mode[~leaf].tolist())
        self.one_mode = modes.pop() if len(modes) == 1 else None
        self.tracks_missing = bool(self.missing_true[~leaf].any())
        self.n_features = int(self.feature.max(initial=-1)) + 1

    def _check_forest(self, tree):
        """The root of each tree, in tree order: every node has at most one parent, each
        tree exactly one node without a parent, and every node is reached from a root."""
        children = np.concatenate([self.true_id[self.true_id >= 0], self.false_id[self.false_id >= 0]])
        parents = np.bincount(children, minlength=len(tree))
        if (parents > 1).any():
            raise UnsupportedError(f"node {int(np.flatnonzero(parents > 1)[0])} has two parents: not a tree")
        roots = np.flatnonzero(parents == 0)
        tree_ids = tree[roots].tolist()
        if len(set(tree_ids)) != len(roots) or len(roots) != len(set(tree.tolist())):
            raise UnsupportedError(f"{len(set(tree.tolist()))} trees but {len(roots)} root nodes: each tree "
                                   "needs exactly one node no other node branches to")
        return roots

    def _depth(self):
        """Levels of the deepest tree (bounds the descent). With one parent per node
        each node is met once; a node never met (a cycle away from the roots) is refused."""
        level, frontier, met = 0, self.roots, 0
        while frontier.size:
            met += frontier.size
            inner = frontier[self.mode[frontier] != _LEAF]
            frontier = np.concatenate([self.true_id[inner], self.false_id[inner]])
            level += 1
            if met > len(self.mode):
                raise UnsupportedError("the trees' branches form a cycle")
        if met != len(self.mode):
            raise UnsupportedError(f"{len(self.mode) - met} nodes are reached from no root (a cycle?)")
        return level - 1

    def leaves(self, x):
        """[N, trees] index of the leaf each sample reaches in each tree. Every
        (sample, tree) takes `depth` steps; a leaf branches to itself, so no
        step needs to set aside the pairs that have arrived."""
        n = x.shape[0]
        if self.n_features > x.shape[1]:
            raise ValueError(f"the trees read feature {self.n_features - 1}; the input has {x.shape[1]} features")
        node = np.broadcast_to(self.roots, (n, self.roots.size)).reshape(-1).copy()
        rows = np.repeat(np.arange(n), self.roots.size)
        for _ in range(self.depth):
            v = x[rows, self.feature[node]]
            if self.one_mode is not None:
                go = _COMPARE[self.one_mode](v, self.split[node])
            else:
                mode, go = self.mode[node], np.zeros(node.size, np.bool_)
                for m in np.unique(mode).tolist():
                    if m != _LEAF:
                        sel = mode == m
                        go[sel] = _COMPARE[m](v[sel], self.split[node[sel]])
            if self.tracks_missing:
                go |= np.isnan(v) & self.missing_true[node]
            node = np.where(go, self.step_true[node], self.step_false[node])
        return node.reshape(n, self.roots.size)

    def scores(self, x, width, aggregate="SUM", base=None, unreached_zero=False):
        """[N, width] scores: each reached leaf's weights, summed (SUM, AVERAGE over
        the trees) or the MIN / MAX of them, plus `base`. unreached_zero: 0,
        without the base, where no weight reached (onnxruntime's rule for
        regressors; its classifiers add the base to every class)."""
        leaves = self.leaves(x)
        counts = (self.start[leaves + 1] - self.start[leaves]).reshape(-1)
        sample = np.repeat(np.repeat(np.arange(x.shape[0]), leaves.shape[1]), counts)
        first = np.repeat(self.start[leaves].reshape(-1), counts)
        entry = first + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
        target, weight = self.w_target[entry], self.w_value[entry]
        reached = np.zeros((x.shape[0], width), np.bool_)
        reached[sample, target] = True
        if aggregate in ("SUM", "AVERAGE"):
            out = np.bincount(sample * width + target, weight, x.shape[0] * width).reshape(x.shape[0], width)
            if aggregate == "AVERAGE":
                out /= self.n_trees
        else:
            out = np.full((x.shape[0], width), np.inf if aggregate == "MIN" else -np.inf)
            (np.minimum if aggregate == "MIN" else np.maximum).at(out, (sample, target), weight)
        if aggregate in ("MIN", "MAX"):
            out[~reached] = 0.0
        if base is not None:
            out = out + base
        return np.where(reached, out, 0.0) if unreached_zero else out


def _same_lengths(first, n, others):
    """Refuse attribute lists that should have one entry each and do not."""
    for name, values in others.items():
        if values is not None and len(values) != n:
            raise UnsupportedError(f"{name} has {len(values)} entries, {first} {n}")


