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

``best = max(best, v)`` (``min``) is the same loop: Python's ``max(a, b)`` is
``a`` unless ``b > a``, NaN included (``_as_test``).  Its rule gives each of two
equal values half the adjoint, so the search also notes the last iteration
whose value equals the best before it (``_last``); the iterations after the
winner's up to it are run again after the winner's value, each equal one taking
half (``_ties_shared``): with no tie that loop runs no iteration.

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
from .types import BOOL

_TESTS = (ast.Gt, ast.Lt, ast.GtE, ast.LtE)


def keep_winners(fn: ast.FunctionDef, env: dict, used_names: set) -> bool:
    """Rewrite ``fn`` in place; whether it changed.  ``used_names`` gets the new
    names."""
    namer = Namer(used_names)
    found = []
    for block in blocks(fn.body):
        for s in block:
            if not isinstance(s, ast.For):
                continue
            loop, ties = s, None
            search = _search(s, env)
            if search is None and (taken := _as_test(s, env, namer)) is not None:
                loop, ties = taken
                search = _search(loop, env)
            if search is not None:
                found.append((block, s, loop, search, ties))
    for block, was, loop, search, ties in found:
        k = next(j for j, s in enumerate(block) if s is was)
        block[k:k + 1] = _rewrite(loop, search, namer, ties)
    return bool(found)


def _as_test(loop, env, namer):
    """``(the loop with its last statement ``best = max(best, v)`` written as
    ``if v > best: best = v``, the value v)`` (``min``: ``<``), else None: the
    same numbers (Python's and Numba's ``max(a, b)`` is ``a`` unless ``b > a``,
    NaN included).  Its rule splits a tie's adjoint equally, which the
    rewrite keeps (``_ties_shared``)."""
    if not loop.body or loop.orelse or not _counted_range(loop):
        return None
    *rest, last = loop.body
    if not (ir.KIND(last) == ir.Kind.ASSIGN and isinstance(last.targets[0], ast.Name)):
        return None
    best, call = last.targets[0].id, last.value
    if isinstance(call, ast.Name) and rest and ir.KIND(rest[-1]) == ir.Kind.ASSIGN and \
            isinstance(rest[-1].targets[0], ast.Name) and rest[-1].targets[0].id == call.id:
        *rest, made = rest
        call = made.value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and
            call.func.id in ("max", "min") and len(call.args) == 2 and not call.keywords and
            all(isinstance(a, ast.Name) for a in call.args) and call.args[0].id == best and
            call.args[1].id != best and _is_float(env, call.args[1].id)):
        return None
    value, test = call.args[1].id, namer.fresh("_c")
    op = ast.Gt() if call.func.id == "max" else ast.Lt()
    new = ir.copy_facts(loop, ast.For(target=ir.clone(loop.target), iter=ir.clone(loop.iter),
                                      body=[ir.clone(s) for s in rest], orelse=[],
                                      type_comment=None, lineno=0))
    line = ir.LINE(last)
    new.body += [ir.tag(_assign(test, _compare(value, op, best)), line),
                 ir.tag(ast.If(test=ast.Name(id=test, ctx=ast.Load()),
                               body=[ir.tag(_assign(best, _name_copy(value)), line)],
                               orelse=[]), line, ir.Kind.IF)]
    env[test] = BOOL
    return new, value


def _counted_range(loop) -> bool:
    """``for i in range(stop)`` or ``range(start, stop)``: counting up by one."""
    it = loop.iter
    return isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and \
        it.func.id == "range" and 1 <= len(it.args) <= 2 and not it.keywords and \
        isinstance(loop.target, ast.Name)


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


def _rewrite(loop, found, namer, ties=None) -> list:
    best, test, branch, assign, wanted = found
    chain = [ir.clone(s) for s in wanted]   # (before the search renames best)
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
    if ties is None:
        return start + [loop, check, after]
    # the last iteration whose value equals the best before it: one after the
    # winner's is a tie with the winner's value (the test is independent of
    # the winner's, so Numba makes both selects)
    last = namer.fresh("_last")
    start.append(ir.tag(_assign(last, ir.mark(ast.Constant(-1), ("const",))), line))
    equal = namer.fresh("_e")
    k = next(j for j, s in enumerate(loop.body) if s is branch)
    loop.body[k:k] = [ir.tag(_assign(equal, _compare(ties, ast.Eq(), seen)), line),
                      ir.tag(ast.If(test=ast.Name(id=equal, ctx=ast.Load()),
                                    body=[ir.tag(_assign(last, _name_copy(loop.target.id)),
                                                 line)],
                                    orelse=[]), line, ir.Kind.IF)]
    return start + [loop, check, after] + \
        _ties_shared(loop, chain, ties, (best, seen, win, last), namer, ir.LINE(assign))


def _ties_shared(loop, chain, value, names, namer, line) -> list:
    """Where the search met the winner's value again (after the winner, up to
    ``_last``), ``max``'s rule gave each of the two equal values half the
    adjoint: a loop over those iterations takes ``best = 0.5 * best + 0.5 * v``
    at each such ``v`` (the same number: ``0.5 * m`` is exact for normal ``m``;
    a tie at a subnormal value rounds) and differentiates as the rule does,
    reading nothing it stores.  With no tie it runs no iteration."""
    best, seen, win, last = names
    index = namer.fresh(loop.target.id + "_t")
    renamed = {loop.target.id: index}
    body = []
    for s in chain:
        new = ir.clone(s)
        _rename(new.value, renamed)
        renamed[s.targets[0].id] = new.targets[0].id = namer.fresh(s.targets[0].id + "_t")
        body.append(new)
    v = renamed.get(value, value)
    equal, half, other = namer.fresh("_e"), namer.fresh(f"{best}_h"), namer.fresh(f"{v}_h")
    share = [ir.tag(_assign(half, _times_half(best)), line),
             ir.tag(_assign(other, _times_half(v)), line),
             ir.tag(_assign(best, ir.mark(ast.BinOp(left=ast.Name(id=half, ctx=ast.Load()),
                                                    op=ast.Add(),
                                                    right=ast.Name(id=other, ctx=ast.Load())),
                                          ("binop", "Add"))), line)]
    body += [ir.tag(_assign(equal, _compare(v, ast.Eq(), seen)), line),
             ir.tag(ast.If(test=ast.Name(id=equal, ctx=ast.Load()), body=share, orelse=[]),
                    line, ir.Kind.IF)]
    first, stop = namer.fresh("_from"), namer.fresh("_to")
    after = _plus_one(win)
    if len(loop.iter.args) == 2:    # range(start, stop): from the start while no iteration won
        after = ir.mark(ast.Call(func=ast.Name(id="max", ctx=ast.Load()),
                                 args=[ir.clone(loop.iter.args[0]), after], keywords=[]),
                        ("call", max))
    again = ir.copy_facts(loop, ast.For(
        target=ast.Name(id=index, ctx=ast.Store()),
        iter=ast.Call(func=ast.Name(id="range", ctx=ast.Load()),
                      args=[ast.Name(id=first, ctx=ast.Load()),
                            ast.Name(id=stop, ctx=ast.Load())], keywords=[]),
        body=body, orelse=[], type_comment=None, lineno=0))
    return [ir.tag(_assign(first, after), line), ir.tag(_assign(stop, _plus_one(last)), line),
            again]


def _plus_one(name):
    return ir.mark(ast.BinOp(left=ast.Name(id=name, ctx=ast.Load()), op=ast.Add(),
                             right=ast.Constant(1)), ("binop", "Add"))


def _times_half(name):
    return ir.mark(ast.BinOp(left=ast.Constant(0.5), op=ast.Mult(),
                             right=ast.Name(id=name, ctx=ast.Load())), ("binop", "Mult"))


def _compare(left, op, right):
    return ir.mark(ast.Compare(left=ast.Name(id=left, ctx=ast.Load()), ops=[op],
                               comparators=[ast.Name(id=right, ctx=ast.Load())]), ("compare",))


def _assign(name, value):
    return ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value,
                      type_comment=None, lineno=0)


def _name_copy(name):
    return ir.mark(ast.Name(id=name, ctx=ast.Load()), ("copy",))


def _rename(node, names: dict):
    for n in nodes(node):
        if isinstance(n, ast.Name) and n.id in names:
            n.id = names[n.id]

