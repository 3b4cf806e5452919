"""What a loop's body says about its own index: the names it sets once, the
tests on the index it makes, the range the index runs over.

``rolling_sums`` reads ``i - 1 if i > 0 else n - 1`` as element ``(i - 1) % n``
with them, and ``peel_ends`` finds where such a test changes its value, to run
the iterations on either side of it apart.  Bounds are ``(n, k)`` for ``n + k``,
``n`` a name the loop does not set or None (a whole number ``k``).
"""
from __future__ import annotations

import ast

from .astutil import int_of, nodes, range_step


class LoopIndex:
    """Facts on the index ``i`` of ``loop`` (``for i in range(...)``, step 1 or
    -1); ``assigned``: the names the loop sets (``i`` among them)."""

    def __init__(self, loop, i, assigned):
        self.i, self.assigned = i, assigned
        self.span = span(loop)
        self.values, self.upto = set_once(loop.body), len(loop.body)

    def value(self, e):
        """``e``, or the value of a name the body sets once, before the statement
        looked at (``upto``): in this iteration, not the last."""
        if isinstance(e, ast.Name) and e.id in self.values and \
                self.values[e.id][1] < self.upto:
            return self.values[e.id][0]
        return e

    def compare(self, e):
        """``(kind, (n, k))``: ``e`` holds where the loop index ``i`` is ``le``
        (at most), ``ge`` (at least), ``eq`` or ``ne`` ``n + k`` (``n`` a name the
        loop does not set, or None); else None."""
        e = self.value(e)
        if not (isinstance(e, ast.Compare) and len(e.ops) == 1):
            return None
        left, right = self.linear(e.left), self.linear(e.comparators[0])
        op = type(e.ops[0])
        if left is None or right is None or left[0] == right[0] or op not in _KINDS:
            return None
        if right[0] == 1:
            left, right, op = right, left, _FLIP[op]
        if left[1] is not None:
            return None
        n, k = right[1], right[2] - left[2]       # i  op  n + k
        kind, shift = _KINDS[op]
        return kind, (n, k + shift)

    def linear(self, e, depth=4):
        """``(a, n, k)``: ``e`` is ``a*i + n + k``, ``a`` 0 or 1, ``n`` a name the
        loop does not set or None, ``k`` an integer; else None."""
        e = self.value(e)
        if int_of(e) is not None:
            return 0, None, int_of(e)
        if isinstance(e, ast.Name):
            if e.id == self.i:
                return 1, None, 0
            if self.value(e) is not e and depth:      # a copy of a name set before
                return self.linear(e, depth - 1)
            return (0, e.id, 0) if e.id not in self.assigned else None
        if depth and isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub)):
            left, right = self.linear(e.left, depth - 1), self.linear(e.right, depth - 1)
            if left is None or right is None:
                return None
            if isinstance(e.op, ast.Sub):
                if right[:2] != (0, None):
                    return None
                right = (0, None, -right[2])
            if left[0] + right[0] > 1 or left[1] is not None and right[1] is not None:
                return None
            return left[0] + right[0], left[1] or right[1], left[2] + right[2]
        return None


# i < t is i <= t - 1 and i > t is i >= t + 1 (whole numbers)
_KINDS = {ast.Lt: ("le", -1), ast.LtE: ("le", 0), ast.Gt: ("ge", 1), ast.GtE: ("ge", 0),
          ast.Eq: ("eq", 0), ast.NotEq: ("ne", 0)}
_FLIP = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE,
         ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}


def negated(test):
    """Where ``test`` (``compare``'s) does not hold."""
    kind, (n, k) = test
    return {"le": ("ge", (n, k + 1)), "ge": ("le", (n, k - 1)),
            "eq": ("ne", (n, k)), "ne": ("eq", (n, k))}[kind]


def span(loop):
    """The smallest and the largest index of ``for i in range(...)`` (step 1 or
    -1), each ``(n, k)`` for ``n + k`` (``n`` a name or None) or None where
    its form is not that."""
    step = range_step(loop)
    args = loop.iter.args
    start, stop = (ast.Constant(0), args[0]) if len(args) == 1 else (args[0], args[1])
    first, last = _bound(start), _bound(stop)
    if step == 1:
        return first, last and (last[0], last[1] - 1)
    return last and (last[0], last[1] + 1), first


def _bound(e):
    """``(n, k)`` for ``n + k``, ``n - k``, ``n`` or ``k``; else None."""
    if int_of(e) is not None:
        return None, int_of(e)
    if isinstance(e, ast.Name):
        return e.id, 0
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub)) and \
            isinstance(e.left, ast.Name) and int_of(e.right) is not None:
        return e.left.id, int_of(e.right) * (1 if isinstance(e.op, ast.Add) else -1)
    return None


def set_once(body) -> dict:
    """Names the body sets once, at its top level, with a plain assignment or
    in both branches of an ``if`` that does only that (``ip = i + 1 if i < n - 1
    else 0`` before ``selects`` makes it one): name -> (value, place in the
    body)."""
    counts: dict = {}
    for s in body:
        for n in nodes(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                counts[n.id] = counts.get(n.id, 0) + 1
    out: dict = {}
    for k, s in enumerate(body):
        if _plain(s) and counts[s.targets[0].id] == 1:
            out[s.targets[0].id] = (s.value, k)
        elif isinstance(s, ast.If) and len(s.body) == len(s.orelse) == 1 and \
                _plain(s.body[0]) and _plain(s.orelse[0]):
            name = s.body[0].targets[0].id
            if s.orelse[0].targets[0].id == name and counts[name] == 2:
                out[name] = (ast.IfExp(test=s.test, body=s.body[0].value,
                                       orelse=s.orelse[0].value), k)
    return out


def _plain(s) -> bool:
    return isinstance(s, ast.Assign) and len(s.targets) == 1 and \
        isinstance(s.targets[0], ast.Name)


def trips_at_most(loop):
    """A whole number the trip count of ``for i in range(...)`` (step 1 or -1)
    cannot exceed, read from bounds such as ``range(min(1, n))`` and
    ``range(max(n - 1, 1), n)`` (``peel_ends``' loops); else None."""
    step = range_step(loop)
    if step is None:
        return None
    args = loop.iter.args
    start, stop = (ast.Constant(0), args[0]) if len(args) == 1 else (args[0], args[1])
    low, high = (start, stop) if step == 1 else (stop, start)
    most = None
    for a in _candidates(low, "max"):        # low is at least each of these
        for b in _candidates(high, "min"):   # high at most each of these
            if a is not None and b is not None and a[0] == b[0]:
                trips = max(b[1] - a[1], 0)
                most = trips if most is None else min(most, trips)
    return most


def _candidates(e, f):
    """The bounds ``(n, k)`` ``e`` is ``f`` (min or max) of, or ``e``'s own."""
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == f:
        return [_bound(a) for a in e.args]
    return [_bound(e)]
