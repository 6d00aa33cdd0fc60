import numpy as np

from ..errors import InputError
from ..limits import check_output, deadline_check
from .base import Op, register


@register("TfIdfVectorizer", since=9)
class TfIdfVectorizer(Op):
    """Counts the pool's n-grams (min..max_gram_length items, each taken
    every `skip + 1` positions for skip in 0..max_skip_count) in each row
    of X, then weights the counts (TF, IDF or TFIDF)."""

    def init(self):
        self.min_n = self.required_attr("min_gram_length")
        self.max_n = self.required_attr("max_gram_length")
        self.max_skip = self.required_attr("max_skip_count")
        self.mode = self.required_attr("mode")
        indexes = self.required_attr("ngram_indexes")
        if not indexes or min(indexes) < 0:
            raise InputError(f"node {self.node.name!r} (TfIdfVectorizer): ngram_indexes must be non-empty "
                             f"and non-negative, got {list(indexes)[:8]}")
        # the output's width: a largest index of 10**9 in a tiny model asks for 4 GB per row
        self.size = max(indexes) + 1
        weights = self.attr("weights")
        self.weights = np.asarray(weights, np.float32) if weights else None
        pool = self.attr("pool_int64s") or self.attr("pool_strings") or []
        counts = list(self.required_attr("ngram_counts")) + [len(pool)]
        # (n-gram tuple) -> output column. ngram_counts[i] is where the
        # (i+1)-grams start in the pool; every n-gram takes the next index
        # in ngram_indexes, even sizes outside min..max (they are never counted).
        self.columns, k = {}, 0
        for n, (lo, hi) in enumerate(zip(counts, counts[1:]), start=1):
            for start in range(lo, hi - n + 1, n):
                if self.min_n <= n <= self.max_n:
                    self.columns[tuple(pool[start:start + n])] = indexes[k]
                k += 1

    def _count(self, row, out, tick):
        length = len(row)
        for start in range(length):
            tick()
            # 1-grams do not depend on the skip: count them once.
            if self.min_n <= 1:
                col = self.columns.get((row[start],))
                if col is not None:
                    out[col] += 1
            for step in range(1, self.max_skip + 2):
                for n in range(max(self.min_n, 2), self.max_n + 1):
                    end = start + (n - 1) * step
                    if end >= length:
                        break
                    col = self.columns.get(tuple(row[start:end + 1:step]))
                    if col is not None:
                        out[col] += 1

    def run(self, x):
        rows = x.reshape(1, -1) if x.ndim <= 1 else x.reshape(x.shape[0], -1)
        check_output(self, (rows.shape[0], self.size), 4)
        counts = np.zeros((rows.shape[0], self.size), np.float32)
        tick = deadline_check(self)     # a Python step per position of every row
        for r, row in enumerate(rows.tolist()):
            self._count(row, counts[r], tick)
        if self.mode == "IDF":
            y = (counts > 0).astype(np.float32) * (self.weights if self.weights is not None else 1)
        elif self.mode == "TFIDF" and self.weights is not None:
            y = counts * self.weights
        else:
            y = counts
        y = y.astype(np.float32)
        return (y.reshape(self.size) if x.ndim <= 1 else y,)
