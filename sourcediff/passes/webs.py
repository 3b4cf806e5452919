"""One name, several independent uses: a name per use (``dx`` and ``dx_v2``).

Users reuse names: ``dx`` is the x-distance in the force loop before the time
loop and again in the force loop inside it.  The two loops' values never
meet, but as one variable the planner sees a name assigned in two places,
and what it may do for one loop (recompute ``dx`` in each reverse iteration
instead of storing it) it must not do for the other.  This pass, run on the
normalized function before type inference, gives each such use its own
name, so every analysis after it decides per use.

A top-level loop is one use of ``v`` on its own when it counts with ``v``
(``for v in range(m)``, ``v`` not in the range, and ``v`` is assigned a
value elsewhere too) or when, inside it, ``v`` is
always assigned before it is read (in each iteration: the first statement of
the body that mentions ``v`` assigns it without reading it, or is an inner
loop or a branch for which the same holds, after which the rest of the body
sets ``v`` before reading it in the same sense),
its header does not read ``v``, and the value it leaves is not read after
it (the next top-level statement that mentions ``v`` assigns it first).
Every such loop but the first use gets a new name; other mentions keep ``v``,
but when the first use is such a loop, a top-level statement after it that
sets ``v`` afresh (``m = -np.inf`` after the loop that used ``m``) starts a
web of its own: it and everything after it get a new name.

The same holds inside the body of a loop whose every iteration sets ``v``
before reading it, where ``v`` is mentioned nowhere else: the body is then a
block of its own, run afresh each time, and its inner loops (two loops of a
time step, a particle deposit and a gather, both using ``w``) are uses of
their own.

Inside a loop body, a scalar assigned several times in a row
(:func:`split_loop_versions`) gets a name per assignment.
"""
from __future__ import annotations

import ast

from .. import ir
from ..names import Namer
from .astutil import SHAPE_ATTRIBUTES, free_names, maker_shape, nodes, stored_names, walk


def _mentions(node, var) -> bool:
    return var in free_names(node)


class _Mentions:
    """``_mentions`` with each node's names remembered (``split_webs`` asks of every
    statement of a loop body for each name the body binds: 250 statements and as
    many names in an adaptive Runge-Kutta step); forgotten at each rename."""

    def __init__(self):
        self.names: dict = {}

    def __call__(self, node, var) -> bool:
        names = self.names.get(id(node))
        if names is None:
            names = self.names[id(node)] = free_names(node)
        return var in names

    def renamed(self) -> None:
        self.names.clear()


def _reads(node, var) -> bool:
    return any(isinstance(n, ast.Name) and n.id == var and isinstance(n.ctx, ast.Load)
               for n in nodes(node))


def _header(stmt) -> list:
    if isinstance(stmt, ast.For):
        return [stmt.target, stmt.iter]
    if isinstance(stmt, (ast.While, ast.If)):
        return [stmt.test]
    return []


def _assigns_first(stmt, var, mentions=_mentions) -> bool:
    """``stmt`` sets ``var`` before any read of it (on every path through it)."""
    if isinstance(stmt, ast.Assign):
        return len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) and \
            stmt.targets[0].id == var and not _reads(stmt.value, var) and \
            ir.KIND(stmt) != ir.Kind.ACCUMULATE
    if isinstance(stmt, ast.If):
        return not _reads(stmt.test, var) and _defines(stmt.body, var, mentions) and \
            _defines(stmt.orelse, var, mentions)
    return False


def _defines(block, var, mentions=_mentions) -> bool:
    """The first statement of ``block`` that mentions ``var`` sets it first."""
    first = next((s for s in block if mentions(s, var)), None)
    return first is not None and _assigns_first(first, var, mentions)


def _local(block, var, mentions=_mentions) -> bool:
    """In ``block`` (run once, or once per iteration), ``var`` is never read before
    the block itself assigns it (after a loop or a branch, which may not assign
    it, the rest of the block assigns it before reading it too)."""
    for k, s in enumerate(block):
        if not mentions(s, var):
            continue
        if _assigns_first(s, var, mentions):
            return True
        return isinstance(s, (ast.For, ast.While, ast.If)) and \
            not any(_reads(h, var) for h in _header(s)) and \
            all(_local(b, var, mentions) for b in (s.body, s.orelse) if b) and \
            _local(block[k + 1:], var, mentions)
    return True


def _own_use(body, k, var, numbered=False, mentions=_mentions) -> bool:
    """Top-level statement ``k`` is a loop that is a use of ``var`` on its own
    (``numbered``: ``var`` is also assigned a number somewhere)."""
    loop = body[k]
    if not isinstance(loop, (ast.For, ast.While)) or loop.orelse:
        return False
    # ``for var in range(m)`` sets it at the start of each iteration (only a
    # counter sharing its name with a computed value is split off: loops that
    # all count with ``i`` keep it)
    counter = numbered and isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) \
        and loop.target.id == var and not mentions(loop.iter, var)
    if not counter and (any(mentions(h, var) for h in _header(loop)) or
                        not _local(loop.body, var, mentions)):
        return False
    for later in body[k + 1:]:
        if mentions(later, var):
            return _assigns_first(later, var, mentions) or (
                isinstance(later, (ast.For, ast.While)) and _local([later], var, mentions))
    return True


def _rename(node, old, new):
    for n in nodes(node):
        if isinstance(n, ast.Name) and n.id == old:
            n.id = new


def split_webs(fn: ast.FunctionDef, taken: set) -> set:
    """Rename, in place, the independent loop uses of reused local names; returns
    the new names (also added to ``taken``)."""
    if ir.GENERATED(fn):
        return set()        # an adjoint transformed again keeps its names
    params = {a.arg for a in fn.args.args}
    iterated = {name for s in nodes(fn) for name, _ in ir.ITERATES(s) or ()}
    assigned = {n.id for n in nodes(fn) if isinstance(n, ast.Name)
                and isinstance(n.ctx, ast.Store)}
    numbers = {t.id for s in walk(fn.body) if isinstance(s, (ast.Assign, ast.AugAssign))
               for t in (s.targets if isinstance(s, ast.Assign) else [s.target])
               if isinstance(t, ast.Name)}
    new_names = set()
    mentions = _Mentions()
    for var in sorted(assigned - params - iterated):
        if not var.startswith("_"):     # (the normalizer's temporaries are assigned once)
            _split_block(fn.body, var, var in numbers, taken, new_names, mentions)
    # the same inside a loop whose every iteration sets ``v`` before reading
    # it, ``v`` mentioned nowhere else: its body is a block run afresh each
    # time (two inner loops of a time step reusing ``w``: the first re-runs
    # its ``w`` in reverse, the second's is saved; as one name the first had
    # to save its own too, Planner.decide_saves)
    for loop in [s for s in walk(fn.body) if isinstance(s, (ast.For, ast.While))]:
        inside = {}
        for n in nodes(ast.Module(body=loop.body, type_ignores=[])):
            if isinstance(n, ast.Name):
                inside[n.id] = inside.get(n.id, 0) + 1
        everywhere = {}
        for n in nodes(fn):
            if isinstance(n, ast.Name) and n.id in inside:
                everywhere[n.id] = everywhere.get(n.id, 0) + 1
        stored = {n.id for st in loop.body for n in nodes(st)
                  if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for var in sorted(stored - params - iterated):
            if var.startswith("_") or inside[var] != everywhere[var] or \
                    not _local(loop.body, var, mentions):
                continue
            _split_block(loop.body, var, var in numbers, taken, new_names, mentions)
    return new_names


def _split_block(body, var, numbered, taken, new_names, mentions) -> None:
    """Rename, in place, the uses of ``var`` in ``body`` (a function body, or a
    loop body whose iterations each set ``var`` first) that are loops of their
    own, and the web a fresh assignment after them starts."""
    mentioning = [k for k, s in enumerate(body) if mentions(s, var)]
    if len(mentioning) < 2:
        return
    own = [k for k in mentioning if _own_use(body, k, var, numbered, mentions)]
    if not own:
        return
    # the first use keeps the name; each later loop of its own gets one
    for k in own:
        if k == mentioning[0]:
            continue
        name = Namer(taken).numbered(f"{var}_v", 2)
        new_names.add(name)
        _rename(body[k], var, name)
    # a statement after them that sets it afresh starts a web of its own:
    # everything from there on reads that value or later ones
    for k in mentioning[1:]:
        if mentioning[0] in own and _assigns_first(body[k], var):
            name = Namer(taken).numbered(f"{var}_v", 2)
            new_names.add(name)
            for j in range(k, len(body)):
                _rename(body[j], var, name)
            break
    mentions.renamed()

def split_loop_versions(fn: ast.FunctionDef, types: dict, taken: set) -> bool:
    """A scalar assigned several times in a row in a loop body, first without
    reading it (``dx = x[j] - x[i]``, then ``dx -= L * round(dx / L)``) and
    read nowhere outside the loop: each assignment after the first defines a
    new name (``dx_v2``), read until the next one.  Each name is then assigned
    once per iteration, and the planner decides for each value on its own
    (recomputed, fused) as for the same math written with new names.
    An array likewise, where every assignment makes a new binding (``d = x[:, 1:]
    - x[:, :-1]``, then ``d = x[1:] - x[:-1]``), none an update in place
    (``v += w`` writes into the array the name holds, seen through its aliases).
    Renames in place; whether anything changed."""
    if ir.GENERATED(fn):
        return False
    params = {a.arg for a in fn.args.args}
    changed = False
    total = _mention_counts(fn)            # (counted once: a walk per name was quadratic)
    for loop in [s for s in walk(fn.body) if isinstance(s, (ast.For, ast.While))]:
        inside = None
        for var in sorted(_redefined(loop.body)):
            t = types.get(var)
            if var in params or t is None or not (t.is_scalar or t.is_array and all(
                    _new_binding(s) for s in loop.body if _defines_directly(s, var))):
                continue
            if inside is None:
                inside, facts = _mention_counts(loop.body), _body_facts(loop.body)
            if inside.get(var) != total.get(var) or \
                    any(_mentions(h, var) for h in _header(loop)) or \
                    not _straight(loop.body, var, facts):
                continue
            # (renames var alone, in the loop's body: the counts and facts of the
            # other names stay true, the new names are none of this loop's candidates)
            _version(loop.body, var, taken, facts[0], total)
            changed = True
    return changed


def _new_binding(s) -> bool:
    """``s`` binds its target to a new array: an assignment, or an update
    written as one (``s = s - m``, which NumPy computes into a new array), not
    ``s -= m`` (in place, seen through the array's other names)."""
    return ir.KIND(s) == ir.Kind.ASSIGN or ir.KIND(s) == ir.Kind.ACCUMULATE and \
        not ir.AUGMENTED(s) and not ir.AUGMENTED(getattr(s, "value", None))


def split_carried_versions(fn: ast.FunctionDef, types: dict, taken: set) -> bool:
    """A number a loop carries from one iteration to the next (read before the
    body binds it) and binds in several statements of the body: an adaptive
    step ``h``, cut to the end of the interval (``if t + h > tend: h = tend -
    t``), then scaled by the error and clamped.  Each of those statements defines
    a new name (``h_v2``, ``h_v3``, ``h_v4``; an ``if`` that may bind it starts
    from a copy, ``h_v2 = h``), read until the next one, and ``h = h_v4`` follows
    the last: ``h`` is then bound once per iteration, by a copy, and the planner
    keeps one value of it per iteration (its snapshot) and recomputes the body's
    values from it, as for a step written ``hn = ...; h = hn``.  Without the
    split it stored every stage value of an adaptive Runge-Kutta step that reads
    ``h`` (22 lists in RKF45).

    Taken when the number is bound in the loop only by statements of the body
    (``h = e``, ``h *= c``) and by ``if`` statements of the body that bind it by
    such statements in their branches (not in inner loops), not by sums alone
    (``loss += a`` then ``loss += b``, or ``if c: loss += b``: the planner adds
    those up in reverse without their values), the first statement of the body
    that mentions it reads it (and is not such an ``if``), and nothing up to the
    last of them leaves the iteration early (``break``, ``continue``,
    ``return``: the name must hold the iteration's value wherever it ends).
    Renames in place; whether anything changed."""
    if ir.GENERATED(fn):
        return False
    changed = False
    total = None
    for loop in [s for s in walk(fn.body) if isinstance(s, (ast.For, ast.While))]:
        if loop.orelse:
            continue
        target = free_names(loop.target) if isinstance(loop, ast.For) else set()
        for var in sorted(_bound_twice(loop.body) - target):
            t = types.get(var)
            if t is None or not t.is_scalar:
                continue
            mentioned, stored = _body_facts(loop.body)
            binders = [k for k, names in enumerate(stored) if var in names]
            if not all(_binds_plainly(loop.body[k], var) for k in binders) or \
                    _leaves_early(loop.body[:binders[-1] + 1]):
                continue
            if all(_adds_only(loop.body[k], var) for k in binders):
                continue        # a running sum (``loss += a; loss += b``): the planner's own
            # read before it is bound (so bound when the loop starts); a first
            # ``if`` that binds it may leave it unbound there (``_retval`` flags)
            k = next(k for k, names in enumerate(mentioned) if var in names)
            first = loop.body[k]
            if _defines_directly(first, var) and not _reads(first.value, var):
                # set afresh in each iteration (``ip = i + 1``, then ``if ip == n: ip
                # = 0``): a name per binding after the first where the loop's body is
                # the only place that mentions it and an ``if`` binds it (in a row,
                # split_loop_versions has named them; not after a copy ``v = y``, this
                # split's own first binding, nor for the normalizer's flags, ``_skip1``)
                if total is None:
                    total = _mention_counts(fn)
                if var.startswith("_") or ir.KIND(first) != ir.Kind.ASSIGN or \
                        isinstance(first.value, ast.Name) or \
                        _mention_counts(loop.body).get(var) != total.get(var) or \
                        all(_defines_directly(loop.body[b], var) for b in binders):
                    continue
                _version_carried(loop, var, taken, mentioned, binders, local=True)
                changed = True
                continue
            if not (_reads(first.value, var) if _defines_directly(first, var) else
                    k not in binders and _reads(first, var)):
                continue
            _version_carried(loop, var, taken, mentioned, binders)
            changed = True
    return changed


def _bound_twice(body) -> set:
    """Names bound by two or more statements of ``body`` (counting an ``if`` that
    binds one as one statement)."""
    counts: dict = {}
    for names in _body_facts(body)[1]:
        for v in names:
            counts[v] = counts.get(v, 0) + 1
    return {v for v, c in counts.items() if c > 1}


def _binds_plainly(stmt, var) -> bool:
    """``stmt`` binds ``var`` by ``var = e`` / ``var op= e``, itself or in the
    branches of an ``if`` (nested ``if``s too), not in a loop or a tuple target."""
    if _defines_directly(stmt, var):
        return True
    if isinstance(stmt, ast.If):
        inner = stmt.body + stmt.orelse
        return all(not isinstance(s, (ast.For, ast.While)) or var not in free_names(s)
                   for s in inner) and all(
            _binds_plainly(s, var) for s in inner if var in stored_names(s))
    return False


def _adds_only(stmt, var) -> bool:
    """Every binding of ``var`` in ``stmt`` (a binding statement of the body, see
    ``_binds_plainly``) adds to it (``var += e``), under an ``if`` or not."""
    if _defines_directly(stmt, var):
        return ir.KIND(stmt) == ir.Kind.ACCUMULATE
    return all(_adds_only(s, var) for s in stmt.body + stmt.orelse
               if var in stored_names(s))


def _leaves_early(stmts) -> bool:
    """A ``break``, ``continue`` or ``return`` among ``stmts`` of a loop's body
    (those of inner loops leave those loops; a ``return`` anywhere)."""
    for s in stmts:
        if isinstance(s, (ast.Break, ast.Continue, ast.Return)):
            return True
        if isinstance(s, ast.If) and (_leaves_early(s.body) or _leaves_early(s.orelse)):
            return True
        if isinstance(s, (ast.For, ast.While)) and any(
                isinstance(n, ast.Return) for n in nodes(s)):
            return True
    return False


def _version_carried(loop, var, taken, mentioned, binders, local=False):
    """Each binding statement of ``var`` in ``loop``'s body (indices ``binders``)
    a new name, the reads after it that name, and ``var = <the last>`` after
    the last.  ``local``: ``var`` is set afresh in each iteration and read only
    in the body: the first binding keeps the name, nothing follows the last,
    and the reads after it read the last new name."""
    current = var
    namer = Namer(taken)
    body, out = loop.body, []
    for k, (s, names) in enumerate(zip(body, mentioned)):
        if var in names and (k <= binders[-1] or local):
            if local and k == binders[0]:
                pass            # keeps the name
            elif k in binders:
                new = namer.numbered(f"{var}_v", 2)
                taken.add(new)
                if _defines_directly(s, var):
                    _rebind(s, var, current, new)           # h *= c: now h_v2 = h * c
                elif _binds_in_body_only(s, var):
                    # an if binding it in its first arm: the other arm copies the
                    # value before it (one binding on each path)
                    _rename(s.test, var, current)
                    arm = current
                    for x in s.body:
                        if _defines_directly(x, var) and not (
                                arm == new and ir.KIND(x) == ir.Kind.ACCUMULATE):
                            _rebind(x, var, arm, new)
                            arm = new
                        else:
                            # (an update after the arm's first binding, ``v += e``,
                            # updates the new name: ``new += e``, not ``new = new + e``)
                            _rename(x, var, arm)
                    s.orelse.append(_copy(new, current, s))
                else:       # an if: from a copy of the value before it
                    out.append(_copy(new, current, s))
                    _rename(s, var, new)
                current = new
            else:
                _rename(s, var, current)
        out.append(s)
        if k == binders[-1] and not local:
            out.append(_copy(var, current, s))
    loop.body[:] = out


def _binds_in_body_only(stmt, var) -> bool:
    """``stmt`` is an ``if`` whose first arm binds ``var`` by statements of its own
    (none nested) and whose other arm does not mention it."""
    return isinstance(stmt, ast.If) and any(_defines_directly(x, var) for x in stmt.body) \
        and all(_defines_directly(x, var) for x in stmt.body if var in stored_names(x)) \
        and not any(var in free_names(x) for x in stmt.orelse)


def _rebind(s, var, old, new):
    """``var = e`` / ``var op= e`` (``s``) as ``new = e`` reading ``old`` for ``var``;
    an update in place becomes the assignment it stands for (``h *= c``: ``new = old
    * c``)."""
    _rename(s.value, var, old)
    s.targets[0].id = new
    if ir.KIND(s) == ir.Kind.ACCUMULATE:
        ir.KIND.set(s, ir.Kind.ASSIGN)
        ir.AUGMENTED.set(s.value, False)


def _copy(target, source, near):
    value = ir.mark(ast.Name(id=source, ctx=ast.Load()), ("copy",))
    return ir.tag(ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=value),
                  ir.LINE(near))

def _mention_counts(node) -> dict:
    """How many times each name is mentioned in ``node`` (a tree or a list)."""
    counts: dict = {}
    for n in nodes(node) if not isinstance(node, list) else \
            (m for s in node for m in nodes(s)):
        if isinstance(n, ast.Name):
            counts[n.id] = counts.get(n.id, 0) + 1
    return counts


def _defines_directly(s, var) -> bool:
    return ir.KIND(s) in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE) and \
        isinstance(s.targets[0], ast.Name) and s.targets[0].id == var


def _redefined(body) -> set:
    counts: dict = {}
    for s in body:
        if ir.KIND(s) in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE) and \
                isinstance(s.targets[0], ast.Name):
            counts[s.targets[0].id] = counts.get(s.targets[0].id, 0) + 1
    return {v for v, c in counts.items() if c > 1}


def _straight(body, var, facts) -> bool:
    """``var`` is assigned only by statements of ``body`` itself (not inside
    its branches or loops), the first of which mentions it first and does not
    read it.  ``facts``: :func:`_body_facts` of ``body``."""
    mentioned, stored = facts
    first = next((s for s, names in zip(body, mentioned) if var in names), None)
    if first is None or not _defines_directly(first, var) or _reads(first.value, var) or \
            ir.KIND(first) != ir.Kind.ASSIGN:
        return False
    return not any(var in names for s, names in zip(body, stored)
                   if not _defines_directly(s, var))


def _body_facts(body) -> tuple:
    """For each statement of ``body``: the names it mentions, the names it stores."""
    return ([free_names(s) for s in body],
            [{n.id for n in nodes(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
             for s in body])


def _version(body, var, taken, mentioned, counts=None):
    """``mentioned``: the names each statement of ``body`` mentions (from
    before any renaming: a statement that did not mention ``var`` does not).
    ``counts``: how many times each name is mentioned in the function; a
    binding ``var = _t2`` of a value the statement before computed into a
    name mentioned only there (the normalizer's ``_t2 = d * w; d = _t2`` for
    ``d = d * w``) becomes ``d_v2 = d * w``, as if written with a new name."""
    current, seen_first = var, False
    folded = []
    for k, (s, names) in enumerate(zip(body, mentioned)):
        if var not in names:
            continue
        if _defines_directly(s, var):
            if not seen_first:
                seen_first = True
                continue
            new = Namer(taken).numbered(f"{var}_v", 2)
            taken.add(new)
            _rebind(s, var, current, new)           # dx -= y: now dx_v2 = dx - y
            current = new
            before = body[k - 1] if k else None
            if counts is not None and isinstance(s, ast.Assign) and \
                    isinstance(s.value, ast.Name) and ir.KIND(s) == ir.Kind.ASSIGN and \
                    counts.get(s.value.id) == 2 and isinstance(before, ast.Assign) and \
                    len(before.targets) == 1 and isinstance(before.targets[0], ast.Name) and \
                    before.targets[0].id == s.value.id and ir.KIND(before) == ir.Kind.ASSIGN:
                before.targets[0].id = new
                folded.append(s)
        elif seen_first and current != var:
            _rename(s, var, current)
    for s in folded:
        body.remove(s)



def split_array_versions(fn: ast.FunctionDef, types: dict, taken: set) -> bool:
    """A scratch array rewritten whole several times in one loop iteration gets a
    buffer per rewrite: ``ytmp`` of a Runge-Kutta step, filled by a loop before each
    stage and read by that stage only, becomes ``ytmp``, ``ytmp_v2``, ... (made
    beside it, before the loop), one per stage.  Each buffer is then written once per
    iteration, and the planner decides for each on its own (re-run in the reverse
    iteration instead of storing what each stage overwrites) as for the same math
    written with a buffer per stage.

    Taken when the array is a 1-d ``np.zeros(n)`` (``empty``, ``ones``) made once,
    outside loops; every other mention of it is in the loop's body (or reads its
    shape); the body's first statement mentioning it is a covering write, a loop
    ``for j in range(n)`` whose body stores ``a[j] = ...`` (the same ``n``) and
    reads nothing else of it; it is written nowhere else, and passed to no call.
    Renames in place; whether anything changed."""
    if ir.GENERATED(fn):
        return False
    changed = False
    for loop in [s for s in walk(fn.body) if isinstance(s, (ast.For, ast.While))]:
        for var in sorted({store_base_name(s) for s in loop.body} - {None}):
            made = _made_once(fn, var, types)
            if made is None:
                continue
            writers = _covering_writers(fn, loop, var, made)
            if writers is None or len(writers) < 2:
                continue
            _split(fn, loop, var, made, writers, taken)
            changed = True
    return changed


def store_base_name(s):
    """The array a top-level covering loop ``for j in range(n): a[j] = ...`` stores into."""
    if not isinstance(s, ast.For):
        return None
    stores = [st for st in s.body if ir.KIND(st) == ir.Kind.STORE and
              isinstance(st.targets[0].value, ast.Name)]
    return stores[0].targets[0].value.id if len(stores) == 1 else None


def _made_once(fn, var, types):
    """The statement making ``var`` (``var = np.zeros(n)``, 1-d, outside loops, its
    only assignment), else None."""
    t = types.get(var)
    if t is None or not t.is_array or t.ndim != 1 or var in {a.arg for a in fn.args.args}:
        return None
    sites = [s for s in walk(fn.body) if var in _stored_names(s)]
    if len(sites) != 1 or not _top(fn, sites[0]):
        return None
    s = sites[0]
    if ir.KIND(s) != ir.Kind.ASSIGN or \
            not isinstance(maker_shape(s.value), (ast.Name, ast.Constant)):
        return None
    return s


def _stored_names(s) -> set:
    if isinstance(s, ast.Assign):
        return {n.id for t in s.targets for n in nodes(t)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
        return {s.target.id}
    if isinstance(s, ast.For):
        return free_names(s.target)
    return set()


def _top(fn, stmt) -> bool:
    """``stmt`` is in no loop of ``fn``."""
    loops = [s for s in walk(fn.body) if isinstance(s, (ast.For, ast.While))]
    return not any(stmt is st for loop in loops for st in walk(loop.body))


def _covering_writers(fn, loop, var, made):
    """Indices in ``loop.body`` of the loops that write ``var`` whole, when every
    other mention of ``var`` is a read of it (in the body, or of its shape), the
    first mention in the body is one of them, no call receives it and nothing takes a
    view of it or binds another name to it; else None."""
    inside = {id(n) for s in loop.body for n in nodes(s)}
    shape_only = {id(n.value) for n in nodes(fn) if isinstance(n, ast.Attribute) and
                  n.attr in SHAPE_ATTRIBUTES and isinstance(n.value, ast.Name)}
    made_ids = {id(n) for n in nodes(made)}
    for n in nodes(fn):
        if isinstance(n, ast.Name) and n.id == var and id(n) not in inside | shape_only | \
                made_ids:
            return None         # read (or written) outside the loop's body
        if isinstance(n, ast.Call) and any(isinstance(a, ast.Name) and a.id == var
                                           for a in n.args):
            return None
    # inside the body: element reads ``a[i]`` (no slices: a view could be written
    # through) and shape reads only, besides the covering stores
    allowed = set(shape_only)
    for n in nodes(loop):
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and \
                n.value.id == var and not any(isinstance(p, ast.Slice)
                                              for p in nodes(n.slice)):
            allowed.add(id(n.value))
    if any(isinstance(n, ast.Name) and n.id == var and id(n) not in allowed
           for n in nodes(loop)):
        return None
    writers, first = [], None
    for k, s in enumerate(loop.body):
        mentions = _mentions(s, var)
        if _covers(s, var, made):
            writers.append(k)
        elif mentions and any(var in _stored_names(st) or
                              ir.KIND(st) in (ir.Kind.STORE, ir.Kind.AUGSTORE) and
                              _store_base(st) == var for st in walk([s])):
            return None
        if mentions and first is None:
            first = k
    return writers if writers and first == writers[0] else None


def _store_base(st):
    target = st.targets[0] if isinstance(st, ast.Assign) else getattr(st, "target", None)
    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
        return target.value.id
    return None


def _covers(s, var, made) -> bool:
    """``s`` is ``for j in range(n): ... a[j] = ...`` with ``a = np.zeros(n)`` (the
    same ``n``), the store unconditional, and no other mention of ``a`` in it."""
    if store_base_name(s) != var or not isinstance(s.target, ast.Name):
        return False
    it = s.iter
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
            and len(it.args) == 1 and not it.keywords and not ir.COUNT(s)) or \
            ast.dump(it.args[0]) != ast.dump(made.value.args[0]):
        return False
    store = next(st for st in s.body if ir.KIND(st) == ir.Kind.STORE and
                 _store_base(st) == var)
    if not (isinstance(store.targets[0].slice, ast.Name) and
            store.targets[0].slice.id == s.target.id):
        return False
    return sum(1 for n in nodes(s) if isinstance(n, ast.Name) and n.id == var) == 1


def _split(fn, loop, var, made, writers, taken):
    """Each covering write after the first, and the statements up to the next one,
    use a new buffer made beside ``var``."""
    bounds = writers[1:] + [len(loop.body)]
    for start, stop in zip(writers[1:], bounds[1:]):
        name = Namer(taken).numbered(f"{var}_v", 2)
        taken.add(name)
        for s in loop.body[start:stop]:
            _rename(s, var, name)
        twin = ir.clone(made)
        twin.targets[0].id = name
        block = _block_of(fn, made)
        block.insert(block.index(made) + 1, twin)


def _block_of(fn, stmt) -> list:
    for s in [fn, *walk(fn.body)]:
        for field in ("body", "orelse"):
            block = getattr(s, field, None)
            if isinstance(block, list) and any(st is stmt for st in block):
                return block
    raise ValueError("statement not in the function")
