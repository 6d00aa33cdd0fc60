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


def _text(v):
    return v.decode() if isinstance(v, bytes) else v


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

    def __init__(self, op, prefix):
        a = op.required_attr
        tree, node = np.asarray(a("nodes_treeids"), np.int64), np.asarray(a("nodes_nodeids"), np.int64)
        index = {(t, n): i for i, (t, n) in enumerate(zip(tree.tolist(), node.tolist()))}
        if len(index) != len(tree):
            raise UnsupportedError("two nodes have the same (tree id, node id)")
        modes = [_text(m) for m in a("nodes_modes")]
        unknown = sorted(set(modes) - set(MODES))
        if unknown:
            raise UnsupportedError(f"node mode {unknown[0]!r} is not one of {', '.join(MODES)}")
        self.mode = np.array([MODES.index(m) for m in modes], np.int64)
        self.feature = np.asarray(a("nodes_featureids"), np.intp)
        branch_features = self.feature[self.mode != _LEAF]
        if (branch_features < 0).any():      # (a leaf's feature id is never read)
            raise UnsupportedError(f"a node reads feature {int(branch_features.min())}: feature ids are >= 0")
        values = _floats(op, "nodes_values")
        self.split = values if values is not None else np.zeros(len(tree))
        missing = op.attr("nodes_missing_value_tracks_true")
        self.missing_true = np.asarray(missing if missing else np.zeros(len(tree)), np.bool_)

        def child(ids):
            out = np.full(len(tree), -1, np.intp)
            for i, (t, c) in enumerate(zip(tree.tolist(), np.asarray(ids, np.int64).tolist())):
                if self.mode[i] != _LEAF:
                    if (t, c) not in index:
                        raise UnsupportedError(f"node {i} of tree {t} branches to node {c}, which the tree lacks")
                    out[i] = index[t, c]
            return out
        self.true_id, self.false_id = child(a("nodes_truenodeids")), child(a("nodes_falsenodeids"))
        # a tree's root: its one node no other node branches to
        reached = np.zeros(len(tree), np.bool_)
        reached[self.true_id[self.true_id >= 0]] = reached[self.false_id[self.false_id >= 0]] = True
        self.roots = np.flatnonzero(~reached)
        self.n_trees = len(set(tree.tolist()))
        if len(self.roots) != self.n_trees:
            raise UnsupportedError(f"{self.n_trees} trees but {len(self.roots)} root nodes: not a forest of trees")
        # leaf weights, as a table per node: weights of node i are entries start[i]:start[i + 1]
        w_tree = np.asarray(a(f"{prefix}_treeids"), np.int64).tolist()
        w_node = np.asarray(a(f"{prefix}_nodeids"), np.int64).tolist()
        w_leaf = np.array([index.get((t, n), -1) for t, n in zip(w_tree, w_node)], np.intp)
        if (w_leaf < 0).any():
            raise UnsupportedError(f"a {prefix} weight names a node that no tree has")
        order = np.argsort(w_leaf, kind="stable")
        self.w_target = np.asarray(a(f"{prefix}_ids"), np.intp)[order]
        self.w_value = _floats(op, f"{prefix}_weights")[order]
        self.start = np.searchsorted(w_leaf[order], np.arange(len(tree) + 1))
        self.depth = self._depth()
        # for the descent: a leaf branches to itself (feature 0 is read and ignored), and the
        # one comparison all branch nodes share when they do (scikit-learn's trees: BRANCH_LEQ)
        here = np.arange(len(tree), dtype=np.intp)
        leaf = self.mode == _LEAF
        self.step_true, self.step_false = np.where(leaf, here, self.true_id), np.where(leaf, here, self.false_id)
        self.feature = np.where(leaf, 0, self.feature)
        modes = set(self.mode[~leaf].tolist())
        self.one_mode = modes.pop() if len(modes) == 1 else None
        self.tracks_missing = bool(self.missing_true[~leaf].any())
        self.n_features = int(self.feature.max(initial=-1)) + 1

    def _depth(self):
        """Levels of the deepest tree (bounds the descent; a cycle is refused)."""
        level, frontier, depth = 0, self.roots, 0
        seen = np.zeros(len(self.mode), np.int64)
        while frontier.size:
            seen[frontier] += 1
            if (seen[frontier] > 1).any():
                raise UnsupportedError("the trees' branches form a cycle or share nodes")
            inner = frontier[self.mode[frontier] != _LEAF]
            frontier = np.concatenate([self.true_id[inner], self.false_id[inner]])
            depth, level = level, level + 1
        return depth

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


def as_float_matrix(x):
    """x as float64 [N, features] (a 1-D x is one sample): float32 thresholds compare exactly."""
    x = np.asarray(x)
    return (x.reshape(1, -1) if x.ndim <= 1 else x.reshape(x.shape[0], -1)).astype(np.float64)
