import numpy as np

from .base import Op, register


@register("StringNormalizer", since=10)
class StringNormalizer(Op):
    """Drops elements equal to a stopword (case-insensitively unless
    is_case_sensitive), then applies case_change_action. Input is [C] or
    [1, C]; if everything is dropped the output is one "" ([1] or [1, 1]).
    Case mapping uses Python's Unicode rules: `locale` cannot be honoured
    in Pyodide and the standard locales agree for the cases that matter."""
    def init(self):
        self.action = self.attr("case_change_action", "NONE")
        self.case_sensitive = bool(self.attr("is_case_sensitive", 0))
        stops = self.attr("stopwords") or []
        self.stops = set(stops) if self.case_sensitive else {w.casefold() for w in stops}

    def _keep(self, s):
        return (s if self.case_sensitive else s.casefold()) not in self.stops

    def _change(self, s):
        return s.lower() if self.action == "LOWER" else s.upper() if self.action == "UPPER" else s

    def run(self, x):
        kept = [self._change(s) for s in x.reshape(-1) if self._keep(s)] or [""]
        out = np.array(kept, dtype=object)
        return (out.reshape(1, -1) if x.ndim == 2 else out,)
