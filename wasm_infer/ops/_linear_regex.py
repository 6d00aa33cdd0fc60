"""Whole-string regular-expression matching in time linear in the string,
as RE2 (which onnxruntime's RegexFullMatch uses) guarantees and Python's
backtracking `re` does not: `(a+)+$` against "aaa...a!" takes 2**n steps in
`re` (30 a's: minutes; a 130-byte model that folds such a match at load
hangs the session's creation).

The pattern is parsed by Python's own parser (`re._parser`), compiled to a
Thompson NFA and run as the set of states alive after each character, with
each (set, character, context) transition cached: a lazy DFA, one dict
lookup per character once warm. RE2's semantics where Python's differ: \\d,
\\w, \\s and \\b are ASCII; `.` stops at newlines unless (?s). What RE2
refuses is refused (backreferences, lookaround, atomic groups, possessive
repeats), as are repeat counts above 1,000 (RE2's limit)."""
from re import _constants as C, _parser as P

from ..errors import UnsupportedError

MAX_REPEAT_COUNT = 1000       # as RE2
MAX_STATES = 20_000           # NFA states: repetitions of repetitions multiply
MAX_CACHED = 20_000           # transitions kept (and so state sets); the caches start over past this

_WORD = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_DIGIT = frozenset("0123456789")
_SPACE = frozenset("\t\n\v\f\r ")
_CATEGORIES = {C.CATEGORY_DIGIT: (_DIGIT, False), C.CATEGORY_NOT_DIGIT: (_DIGIT, True),
               C.CATEGORY_WORD: (_WORD, False), C.CATEGORY_NOT_WORD: (_WORD, True),
               C.CATEGORY_SPACE: (_SPACE, False), C.CATEGORY_NOT_SPACE: (_SPACE, True)}
_REFUSED = {C.GROUPREF: "a backreference", C.GROUPREF_EXISTS: "a conditional group", C.ASSERT: "a lookaround",
            C.ASSERT_NOT: "a lookaround", C.ATOMIC_GROUP: "an atomic group",
            C.POSSESSIVE_REPEAT: "a possessive repeat"}
_CHAR, _SPLIT, _ASSERT, _MATCH = range(4)
# what _holds tests: ^ $ \A \Z \b \B (the parser makes no other)
_ASSERTIONS = frozenset({C.AT_BEGINNING, C.AT_BEGINNING_STRING, C.AT_END, C.AT_END_STRING,
                         C.AT_BOUNDARY, C.AT_NON_BOUNDARY})


def _class_test(items, ignore_case):
    """A test of one character for an IN node's items (literals, ranges, \\d-like categories)."""
    negate, chars, ranges, cats = False, set(), [], []
    for op, arg in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            chars.add(chr(arg))
        elif op is C.RANGE:
            ranges.append(arg)
        elif op is C.CATEGORY and arg in _CATEGORIES:
            cats.append(_CATEGORIES[arg])
        else:
            raise UnsupportedError(f"{op} {arg} in a character class")

    def one(c):
        if c in chars:
            return True
        o = ord(c)
        return any(lo <= o <= hi for lo, hi in ranges) or any((c in s) != neg for s, neg in cats)

    def test(c):
        hit = one(c) or (ignore_case and (one(c.lower()) or one(c.upper())))
        return hit != negate
    return test


class LinearRegex:
    """`LinearRegex(pattern).fullmatch(s)`: whether all of `s` matches."""

    def __init__(self, pattern):
        try:
            parsed = P.parse(pattern)
        except Exception as e:      # re.error, RecursionError on absurd nesting
            raise UnsupportedError(f"pattern {pattern!r} does not parse: {e}") from None
        self.pattern = pattern
        self.nodes = [(_MATCH, None, None, None)]       # (kind, test or assertion, out, out2)
        self.contextual = False                          # any assertion: the context enters the cache key
        try:
            self.start = self._seq(list(parsed), 0, parsed.state.flags)
        except RecursionError:
            raise UnsupportedError(f"pattern {pattern!r} nests too deeply") from None
        self._sets, self._set_ids, self._steps = [], {}, {}
        self._first = {}

    # ---- compiling: each part is built before its continuation `k` (a state index) ----
    def _add(self, kind, arg, out, out2=None):
        if len(self.nodes) >= MAX_STATES:
            raise UnsupportedError(f"pattern {self.pattern!r} needs more than {MAX_STATES} states")
        self.nodes.append((kind, arg, out, out2))
        return len(self.nodes) - 1

    def _seq(self, items, k, flags):
        for op, arg in reversed(items):
            k = self._item(op, arg, k, flags)
        return k

    def _item(self, op, arg, k, flags):
        ic = bool(flags & C.SRE_FLAG_IGNORECASE)
        if op in _REFUSED:
            raise UnsupportedError(f"pattern {self.pattern!r} uses {_REFUSED[op]}, which RE2 does not have")
        if op is C.LITERAL or op is C.NOT_LITERAL:
            ch, neg = chr(arg), op is C.NOT_LITERAL
            if ic:
                folded = {ch, ch.lower(), ch.upper()}
                return self._add(_CHAR, lambda c: ((c in folded or c.lower() in folded) != neg), k)
            return self._add(_CHAR, (lambda c: c != ch) if neg else (lambda c: c == ch), k)
        if op is C.ANY:
            dotall = bool(flags & C.SRE_FLAG_DOTALL)
            return self._add(_CHAR, (lambda c: True) if dotall else (lambda c: c != "\n"), k)
        if op is C.IN:
            return self._add(_CHAR, _class_test(arg, ic), k)
        if op is C.SUBPATTERN:
            _, add, remove, body = arg
            return self._seq(list(body), k, (flags | add) & ~remove)
        if op is C.BRANCH:
            alternatives = [self._seq(list(alt), k, flags) for alt in arg[1]]
            start = alternatives[-1]
            for alt in reversed(alternatives[:-1]):
                start = self._add(_SPLIT, None, alt, start)
            return start
        if op is C.MAX_REPEAT or op is C.MIN_REPEAT:
            lo, hi, body = arg
            unbounded = hi == C.MAXREPEAT
            if lo > MAX_REPEAT_COUNT or (not unbounded and hi > MAX_REPEAT_COUNT):
                raise UnsupportedError(f"pattern {self.pattern!r} repeats more than {MAX_REPEAT_COUNT} times")
            body = list(body)
            if unbounded:       # a loop: the split goes into the body or on to k
                loop = self._add(_SPLIT, None, None, k)
                entry = self._seq(body, loop, flags)
                self.nodes[loop] = (_SPLIT, None, entry, k)
                k = loop
            else:
                for _ in range(hi - lo):
                    k = self._add(_SPLIT, None, self._seq(body, k, flags), k)
            for _ in range(lo):
                k = self._seq(body, k, flags)
            return k
        if op is C.AT:
            if arg not in _ASSERTIONS:
                raise UnsupportedError(f"pattern {self.pattern!r} uses the assertion {arg}")
            self.contextual = True
            multiline = bool(flags & C.SRE_FLAG_MULTILINE)
            return self._add(_ASSERT, (arg, multiline), k)
        raise UnsupportedError(f"pattern {self.pattern!r} uses {op}, which this matcher does not support")

    # ---- matching ----
    @staticmethod
    def _holds(assertion, ctx):
        at, multiline = assertion
        start, end, prev, nxt = ctx
        if at is C.AT_BEGINNING or at is C.AT_BEGINNING_STRING:
            return start or (multiline and at is C.AT_BEGINNING and prev == "\n")
        if at is C.AT_END or at is C.AT_END_STRING:
            return end or (multiline and at is C.AT_END and nxt == "\n")
        boundary = (prev in _WORD) != (nxt in _WORD)
        if at is C.AT_BOUNDARY:
            return boundary
        return not boundary     # C.AT_NON_BOUNDARY: the compiler admits only _ASSERTIONS

    def _closure(self, states, ctx):
        """The set id of `states` and every state reachable from them without a character."""
        seen, stack, nodes = set(), list(states), self.nodes
        while stack:
            s = stack.pop()
            if s in seen:
                continue
            seen.add(s)
            kind, arg, out, out2 = nodes[s]
            if kind == _SPLIT:
                stack.append(out2)
                stack.append(out)
            elif kind == _ASSERT and self._holds(arg, ctx):
                stack.append(out)
        return self._intern(frozenset(s for s in seen if nodes[s][0] in (_CHAR, _MATCH)))

    def _intern(self, alive):
        sid = self._set_ids.get(alive)
        if sid is None:
            sid = self._set_ids[alive] = len(self._sets)
            self._sets.append(alive)
        return sid

    def _restart(self, alive):
        """Forget every cached transition and state set (a pattern whose DFA is
        exponential makes a new set at almost every character of a long
        string), keeping `alive`, the set in use: returns its new id."""
        for cache in (self._steps, self._first, self._sets, self._set_ids):
            cache.clear()
        return self._intern(alive)

    def _context(self, s, i):
        if not self.contextual:
            return None
        return (i == 0, i == len(s), s[i - 1] if i > 0 else "", s[i] if i < len(s) else "")

    def fullmatch(self, s):
        ctx = self._context(s, 0)
        cur = self._first.get(ctx)
        if cur is None:
            cur = self._first[ctx] = self._closure((self.start,), ctx)
        steps, nodes, sets = self._steps, self.nodes, self._sets
        for i, c in enumerate(s):
            # the context after c: only what an assertion there can see (c is in the key already)
            ctx = None if not self.contextual else (False, i + 1 == len(s), c, s[i + 1] if i + 1 < len(s) else "")
            key = (cur, c, ctx)
            nxt = steps.get(key)
            if nxt is None:
                if len(steps) >= MAX_CACHED:
                    cur = self._restart(sets[cur])
                    key = (cur, c, ctx)
                moved = [nodes[st][2] for st in sets[cur] if nodes[st][0] == _CHAR and nodes[st][1](c)]
                nxt = steps[key] = self._closure(moved, ctx)
            if not sets[nxt]:
                return False
            cur = nxt
        return 0 in sets[cur]       # state 0 is the match
