"""A loop that keeps the best of its values keeps the winner's index, and the
winner's value is read again after the loop.

A running maximum written as users write it::

    best = -np.inf
    for i in range(K):
        v = delta[i] + log_A[i, j]
        if v > best:
            best = v

carries ``best`` from one iteration to the next, so the reverse sweep needs it
before every iteration (to take the test again) and stores it there: one value
per inner iteration (Viterbi over 4,000 steps of 20 states: 1.6 M values,
10.7x its primal), where a hand-written adjoint keeps one index per search.
Only the winning iteration's value reaches ``best``; so the loop searches with
a copy of ``best`` that carries no derivative (``ir.DETACHED``: the tests see
the same numbers) and notes the winner's index, and after it the winner's
value is computed again from that index, a straight line the reverse sweep
differentiates::

    best_s = best                 # (detached)
    _win = -1
    for i in range(K):
        v = delta[i] + log_A[i, j]
        if v > best_s:
            best_s = v            # (detached)
            _win = i
    if _win >= 0:
        v2 = delta[_win] + log_A[_win, j]
        best = v2

The loop is then all comparisons: nothing of it is stored or reversed.  Ties
and NaN go as in the loop (the same tests on the same numbers pick the same
iteration; with none taken, ``best`` keeps its value from before the loop).

Taken for a ``for`` over ``range`` whose body is assignments of numbers and,
last, one ``if`` without ``else`` on a comparison (``>``, ``<``, ``>=``, ``<=``)
of ``best`` with a number the body computes, whose branch assigns ``best``
once (and integers or booleans, an ``argmax = i``); ``best`` a float the loop
reads only in that test; no array written, no call of a user's function; what
the new value reads is the loop index, numbers the body computes before the
``if`` from it and values the loop does not assign.  Runs on normalized, typed
code (the names it adds are typed again after it).
"""
from __future__ import annotations

import ast
from collections import Counter

from .. import ir
from ..names import Namer
from .astutil import blocks, nodes, walk

_TESTS = (ast.Gt, ast.Lt, ast.GtE, ast.LtE)


def keep_winners(fn: ast.FunctionDef, env: dict, used_names: set) -> bool:
    """Rewrite ``fn`` in place; whether it changed.  ``used_names`` gets the new
    names."""
    found = [(block, s, search) for block in blocks(fn.body) for s in block
             if isinstance(s, ast.For) and (search := _search(s, env)) is not None]
    if not found:
        return False
    namer = Namer(used_names)
    for block, loop, search in found:
        k = next(j for j, s in enumerate(block) if s is loop)
        block[k:k + 1] = _rewrite(loop, search, namer)
    return True


def _search(loop, env):
    """``(best, the test's statement, the if, best's assignment, the statements
    its new value is computed by, in order)`` for such a loop, else None."""
    if loop.orelse or not isinstance(loop.target, ast.Name) or \
            not (isinstance(loop.iter, ast.Call) and isinstance(loop.iter.func, ast.Name)
                 and loop.iter.func.id == "range") or not loop.body:
        return None
    *chain, last = loop.body
    if not isinstance(last, ast.If) or last.orelse or not isinstance(last.test, ast.Name) or \
            not all(_number_assign(s, env) for s in chain + last.body):
        return None
    test = next((s for s in chain if s.targets[0].id == last.test.id), None)
    if test is None or not _compares(test.value):
        return None
    # best: the number compared that the branch sets (once; the loop sets it nowhere else)
    compared = {a.id for a in (test.value.left, test.value.comparators[0])
                if isinstance(a, ast.Name)}
    sets = [s for s in last.body if s.targets[0].id in compared]
    if len(sets) != 1 or not _is_float(env, sets[0].targets[0].id):
        return None
    assign = sets[0]
    best = assign.targets[0].id
    counts = Counter(s.targets[0].id for s in walk(loop.body) if isinstance(s, ast.Assign))
    reads = [n for s in loop.body for n in nodes(s) if isinstance(n, ast.Name) and
             n.id == best and isinstance(n.ctx, ast.Load)]
    if counts[best] != 1 or len(reads) != 1 or \
            not any(n is reads[0] for n in nodes(test.value)) or counts[loop.target.id]:
        return None
    wanted = _computed_by(chain + last.body[:last.body.index(assign)], assign.value, counts,
                          loop.target.id)
    return None if wanted is None else (best, test, last, assign, wanted)


def _computed_by(stmts, value, counts, index):
    """The statements of ``stmts`` (in order) that ``value`` is computed by in an
    iteration, when what they read is the loop index, numbers they set once
    before their reader, or names the loop does not set (else None: a number
    carried from the iteration before, ``acc2 = acc + x[i]`` before ``acc =
    acc2``, would be read at its last value after the loop)."""
    needed, wanted = _reads(value), []
    for s in reversed(stmts):
        z = s.targets[0].id
        if z in needed:
            if counts[z] != 1:
                return None
            wanted.append(s)
            needed = (needed - {z}) | _reads(s.value)
    if (needed - {index}) & set(counts):
        return None
    return wanted[::-1]


def _number_assign(s, env) -> bool:
    """``name = value``: a number, computed by no call of a user's function."""
    if ir.KIND(s) != ir.Kind.ASSIGN or not isinstance(s.targets[0], ast.Name):
        return False
    t = env.get(s.targets[0].id)
    return t is not None and t.is_scalar and \
        (ir.PRIM(s.value, ("",))[0] not in ("user", "method", "tuple", ""))


def _is_float(env, name) -> bool:
    t = env.get(name)
    return t is not None and t.is_float


def _compares(value) -> bool:
    return isinstance(value, ast.Compare) and len(value.ops) == 1 and \
        isinstance(value.ops[0], _TESTS)


def _reads(node) -> set:
    return {n.id for n in nodes(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _rewrite(loop, found, namer) -> list:
    best, test, branch, assign, wanted = found
    line = ir.LINE(loop)
    seen, win = namer.fresh(f"{best}_s"), namer.fresh("_win")
    # the search: the test reads the detached copy, the branch sets it and the index
    for n in nodes(test.value):
        if isinstance(n, ast.Name) and n.id == best:
            n.id = seen
    k = next(j for j, s in enumerate(branch.body) if s is assign)
    if isinstance(assign.value, ast.Name):
        value = assign.value.id
    else:
        value = namer.fresh(f"{best}_new")
        made = ir.tag(_assign(value, assign.value), ir.LINE(assign))
        branch.body.insert(k, made)
        wanted = wanted + [made]
        k += 1
    assign.targets[0].id = seen
    assign.value = ir.DETACHED.set(_name_copy(value), True)
    branch.body.insert(k + 1, ir.tag(_assign(win, _name_copy(loop.target.id)), ir.LINE(assign)))
    start = [ir.tag(_assign(seen, ir.DETACHED.set(_name_copy(best), True)), line),
             ir.tag(_assign(win, ir.mark(ast.Constant(-1), ("const",))), line)]
    # after it: the winner's value computed again from its index
    renamed = {loop.target.id: win}
    again = []
    for s in wanted:
        new = ir.clone(s)
        _rename(new.value, renamed)
        renamed[s.targets[0].id] = new.targets[0].id = namer.fresh(s.targets[0].id + "_w")
        again.append(new)
    result = ir.tag(_assign(best, _name_copy(renamed.get(value, value))), ir.LINE(assign))
    won = namer.fresh("_c")
    check = ir.tag(_assign(won, ir.mark(ast.Compare(left=_name_copy(win), ops=[ast.GtE()],
                                                    comparators=[ast.Constant(0)]),
                                        ("compare",))), line)
    after = ir.tag(ast.If(test=ast.Name(id=won, ctx=ast.Load()), body=again + [result],
                          orelse=[]), line, ir.Kind.IF)
    return start + [loop, check, after]


def _assign(name, value):
    return ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value,
                      type_comment=None, lineno=0)


def _name_copy(name):
    return ir.mark(ast.Name(id=name, ctx=ast.Load()), ("copy",))


def _rename(node, names: dict):
    for n in nodes(node):
        if isinstance(n, ast.Name) and n.id in names:
            n.id = names[n.id]

