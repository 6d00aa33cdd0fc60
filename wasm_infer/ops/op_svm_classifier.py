import numpy as np

from . import _ml, _svm
from ..errors import UnsupportedError
from .base import Op, register


@register("SVMClassifier", since=1, domain="ai.onnx.ml")
class SVMClassifier(Op):
    """scikit-learn's SVC and NuSVC: one-vs-one decision values between every
    pair of classes from the support vectors' kernel values (or, without support
    vectors, a linear score per class), votes for the label, and with
    prob_a / prob_b Platt-scaled pairwise probabilities coupled into one per
    class. Labels and scores follow onnxruntime's rules, binary models
    included (see _final)."""

    def init(self):
        self.labels, self.strings = _ml.class_labels(self)
        self.kernel = _svm.kernel_of(self)
        self.post = _ml.post_transform_of(self)
        coefficients = np.asarray(self.attr("coefficients", []), np.float64)
        self.rho = np.asarray(self.attr("rho", [0.0]), np.float64).reshape(-1)
        self.k = max(len(self.labels) if self.labels is not None else 0, 1)
        per_class = np.asarray(self.attr("vectors_per_class", []) or [], np.int64)
        if (per_class < 0).any():
            raise UnsupportedError(f"vectors_per_class {per_class.tolist()} has a negative count")
        self.starts = np.concatenate([[0], np.cumsum(per_class)]).astype(np.intp)
        n_vectors = int(per_class.sum())
        self.svc = n_vectors > 0
        if self.svc:
            if per_class.size != self.k:
                raise UnsupportedError(f"vectors_per_class has {per_class.size} entries for {self.k} classes")
            self.vectors = np.asarray(self.attr("support_vectors", []), np.float64).reshape(n_vectors, -1)
            self.coefs = coefficients.reshape(-1, n_vectors)
            if self.coefs.shape[0] < self.k - 1 or self.rho.size < self.k * (self.k - 1) // 2:
                raise UnsupportedError("too few coefficients or rho values for one-vs-one classes")
        else:
            self.coefs = coefficients.reshape(self.k, -1)
        self.all_positive = bool(coefficients.size == 0 or coefficients.min() >= 0)
        prob_a, prob_b = self.attr("prob_a"), self.attr("prob_b")
        self.platt = (np.asarray(prob_a, np.float64), np.asarray(prob_b, np.float64)) if prob_a and self.svc else None

    def _one_vs_one(self, rows):
        """([N, pairs] decision values, [N, k] votes), the pairs (i, j), i < j, in
        order. Pair (i, j) adds class i's vectors weighted by coefficient row
        j - 1 and class j's weighted by row i: per class i, one product for
        all its pairs (no Python step per pair)."""
        kern = _svm.kernel(self, rows, self.vectors, *self.kernel)
        st, co, k = self.starts, self.coefs, self.k
        block = np.zeros((co.shape[1], k))          # block[v, c]: vector v belongs to class c
        for c in range(k):
            block[st[c]:st[c + 1], c] = 1.0
        values, votes, e = [], np.zeros((rows.shape[0], k)), 0
        for i in range(k - 1):
            own = kern[:, st[i]:st[i + 1]] @ co[i:k - 1, st[i]:st[i + 1]].T          # [N, k-1-i]: rows j - 1
            other = kern @ (co[i][:, None] * block[:, i + 1:])                       # class j's vectors, row i
            s = self.rho[e:e + k - 1 - i] + own + other
            values.append(s)
            win = s > 0
            votes[:, i] += win.sum(axis=1)
            votes[:, i + 1:] += ~win            # NaN votes for j, as in onnxruntime
            e += k - 1 - i
        return np.concatenate(values, axis=1), votes

    def _coupled(self, values):
        """[N, k] class probabilities from the pairwise Platt probabilities
        (Wu, Lin and Weng's coupling, as libsvm: fixed-point iterations), all
        rows at once; a row stops changing once it has converged."""
        a, b = self.platt
        n, k = values.shape[0], self.k
        r = np.zeros((n, k, k))
        e = 0
        for i in range(k):
            for j in range(i + 1, k):
                p = np.clip(1 - 1 / (1 + np.exp(-(values[:, e] * a[e] + b[e]))), 1e-7, 1 - 1e-7)
                r[:, i, j], r[:, j, i] = p, 1 - p
                e += 1
        q = -np.transpose(r, (0, 2, 1)) * r
        diagonal = (r * r).sum(axis=1)
        q[:, np.arange(k), np.arange(k)] = diagonal
        p = np.full((n, k), 1.0 / k)
        active = np.ones(n, np.bool_)
        for _ in range(max(100, k)):
            qp = np.einsum("nij,nj->ni", q, p)
            pqp = (p * qp).sum(axis=1)
            active &= np.abs(qp - pqp[:, None]).max(axis=1) >= 0.005 / k
            if not active.any():
                break
            for t in range(k):
                diff = np.where(active, (pqp - qp[:, t]) / diagonal[:, t], 0.0)
                p[:, t] += diff
                pqp = (pqp + diff * (diff * diagonal[:, t] + 2 * qp[:, t])) / (1 + diff) ** 2
                p /= (1 + diff)[:, None]
                qp = (qp + diff[:, None] * q[:, t, :]) / (1 + diff)[:, None]
        return p

    def run(self, x):
        rows = _ml.as_matrix(x, np.float64)
        if self.svc:
            scores, votes = self._one_vs_one(rows)
        else:
            scores, votes = self.rho[0] + rows @ self.coefs.T, None
        has_proba = self.platt is not None
        if has_proba:
            scores = self._coupled(scores)
        return self._final(scores, votes, has_proba)

    def _final(self, scores, votes, has_proba):
        """Labels and the scores written out, by onnxruntime's rules: the most
        voted class (or best score); a binary SVC (one rho) with two labels
        takes the second where every coefficient is >= 0 and the best weight
        >= 0.5, and reports one decision value s as [-s, s] (or its transform)."""
        weights = votes if votes is not None else scores
        best = np.argmax(weights, axis=1)
        top = weights[np.arange(len(best)), best]
        n_labels = 0 if self.labels is None else len(self.labels)
        add = -1
        if self.rho.size == 1 and self.svc:
            if n_labels == 2:
                add = 2
                pick = np.where(~np.asarray(has_proba) & self.all_positive & (top >= 0.5), 1, best)
                labels = self.labels[pick]
            else:
                labels = (top > 0).astype(np.int64)
        else:
            labels = self.labels[best] if self.labels is not None else best.astype(np.int64)
        return labels, self._written(scores.astype(np.float32), add)

    def _written(self, s, add):
        if s.shape[1] >= 2:
            return _ml.post_transform(s, self.post)
        if self.post == "PROBIT":
            return _ml.post_transform(s, "PROBIT")
        if add in (0, 1):
            return np.concatenate([1 - s, s], axis=1)
        if add in (2, 3):
            both = np.concatenate([-s, s], axis=1)
            return _ml.post_transform(both, self.post) if self.post != "NONE" else both
        return s
