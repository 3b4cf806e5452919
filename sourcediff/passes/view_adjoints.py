"""The adjoint of a view is the same view of the adjoint.

A helper called with rows of its arguments, ``sqdist(Xq[q], X[i])`` in a
k-nearest-neighbours loop, reads each row through a view ``b = X[i]``.  The
reverse sweep gives the view an adjoint buffer of its own, adds into it, and
adds the buffer into the row of ``X``'s adjoint when it reaches the view::

    for i in range(n - 1, -1, -1):
        b = X[i]
        for j in range(b.shape[0]):
            db[j] += _dt4
        dX[i] += db             # add_into(dX[i], db)
        db[:] = 0.0             # (or db = np.zeros_like(b), here or made before)

Two whole-row operations per row (q08's gradient spent half its time in
them).  When nothing between the first add into ``db`` and that line reads
``db`` except to add into it, or touches ``dX`` or the names of the row's
index, the adds may as well land in ``dX``'s row directly::

    for i in range(n - 1, -1, -1):
        b = X[i]
        db = dX[i]
        for j in range(b.shape[0]):
            db[j] += _dt4

and the buffer made for ``db`` before the sweep goes away.  The row is a view
only for an index of integers and slices (the add is then marked
``ir.ARRAY``, see passes/reverse.py); a gather ``dX[idx]`` stays a buffer.
Taken for a name only when every mention of it is such a window or a zeroed
allocation; adds commute, so only the rounding order within ``dX`` can
differ from adding the buffer at the end.
"""
from __future__ import annotations

import ast

from .. import ir
from .astutil import blocks, nodes, stored_names


def bind_view_adjoints(body: list, rev: list, add_outer=None) -> tuple:
    """``(body, rev)``, the forward and reverse sweeps, with the adjoint buffers
    of views that qualify bound to the view of the adjoint instead, and the
    adjoints made in one statement added into a view added there directly
    (:func:`_made_into_views`; ``add_outer(v, a, b, line)``: the loops that add
    ``outer_product(a, b)`` into ``v``, or None where that is not such a product)."""
    for name in sorted(_candidates(rev)):
        windows = []
        if not _collect(rev, name, windows) or not windows:
            continue
        if not _only_allocations(body, name) or not _only_allocations(rev, name, windows):
            continue
        for block, start, add, zeroed in windows:
            if zeroed is not None:
                block.remove(zeroed)
            block.remove(add)
            bind = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=_view(add))
            ir.LINE.set(bind, ir.LINE(add))
            block.insert(block.index(start), bind)
        body = _drop_allocations(body, name)
        rev = _drop_allocations(rev, name)
    return body, _made_into_views(body, rev, add_outer)


def _made_into_views(body: list, rev: list, add_outer) -> list:
    """An adjoint made whole in one statement and then added into a view,
    nothing else mentioning it (the adjoint of ``K[:t + 1]`` in
    ``s = np.dot(K[:t + 1], q)``)::

        _dt5 = outer_product(ds, q)     ->    _dt5 = dK[:t + 1]
        dK[:t + 1] += _dt5                    for row ...: for col ...:
                                                  _dt5[row, col] += ds[row] * q[col]

    adds into the view as it is made: no array per iteration, no second pass
    (a product, ``_dt6 = dK.T @ ds``, becomes ``_dt6 += ...``, which BLAS adds in
    place).  Not where a statement between them touches the view's array or its
    index, nor where the value reads that array (or a name bound to something
    that mentions it: it could be a view of it)."""
    everything = body + rev
    for block in blocks(rev):
        for add in list(block):
            name = _add_of(add)
            if name is None or add not in block:
                continue
            k = block.index(add)
            start = next((j for j in range(k - 1, -1, -1) if _mentions(block[j], name)), None)
            if start is None or not _made(block[start], name):
                continue
            base, index_names = _base(add)
            between = block[start + 1:k]
            made = block[start]
            near = {base} | _bound_from(base, everything)    # (the array, its views)
            if any(any(_mentions(t, v) for v in near) or stored_names(t) & index_names
                   for t in between) or any(_mentions(made.value, v) for v in near) or \
                    _count_mentions(everything, name) != 2:
                continue
            line = ir.LINE(made)
            bind = ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=_view(add))
            ir.LINE.set(bind, line)
            loops = add_outer(name, made.value, line) if add_outer is not None else None
            if loops is None:
                # (``fresh(e)``, a copy keeping the adjoint apart from the view ``e`` may
                # be, is no longer needed: ``e`` is added, not bound)
                value = made.value.args[0] if _fresh_copy(made.value) else made.value
                loops = ir.copy_facts(add, ast.AugAssign(
                    target=ast.Name(id=name, ctx=ast.Store()), op=ast.Add(), value=value))
                ir.LINE.set(loops, line)
            block[start:start + 1] = [bind, loops]
            block.remove(add)
    return rev


def _fresh_copy(value) -> bool:
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and \
        value.func.id == "fresh" and len(value.args) == 1 and not value.keywords


def _made(s, name) -> bool:
    """``name = e``, ``e`` free of ``name``."""
    return isinstance(s, ast.Assign) and len(s.targets) == 1 and \
        isinstance(s.targets[0], ast.Name) and s.targets[0].id == name and \
        not _mentions(s.value, name)


def _count_mentions(stmts, name) -> int:
    """How many statements of ``stmts`` mention ``name`` (a loop or branch by its
    head, its blocks statement by statement)."""
    return sum(1 for block in blocks(stmts) for s in block
               if (_head_mentions(s, name) if isinstance(s, (ast.For, ast.While, ast.If))
                   else _mentions(s, name)))


def _bound_from(base, stmts) -> set:
    """The names some statement of ``stmts`` binds to a value that mentions
    ``base`` (a view of it, perhaps)."""
    return {t.id for block in blocks(stmts) for s in block
            if isinstance(s, (ast.Assign, ast.AugAssign)) and _mentions(s.value, base)
            for t in (s.targets if isinstance(s, ast.Assign) else [s.target])
            if isinstance(t, ast.Name)}


def _candidates(stmts) -> set:
    """Names ``v`` of ``T[idx] += v`` (an add into a view)."""
    return {_add_of(s) for block in blocks(stmts) for s in block} - {None}


def _add_of(s):
    """``v`` of ``T[idx] += v`` (an add into a view) or ``T += v.T`` (a transposed
    view's buffer added into its array: ``rhs = Xw.T @ y`` in a loop)."""
    if isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Add) and ir.ARRAY(s) and \
            isinstance(s.target, ast.Subscript) and isinstance(s.target.value, ast.Name) and \
            isinstance(s.value, ast.Name):
        return s.value.id
    if _transposed_add(s):
        return s.value.value.id
    return None


def _transposed_add(s) -> bool:
    return isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Add) and \
        isinstance(s.target, ast.Name) and isinstance(s.value, ast.Attribute) and \
        s.value.attr == "T" and isinstance(s.value.value, ast.Name) and \
        s.value.value.id != s.target.id


def _base(add):
    """The array whose view the buffer stands for, and the names its index reads."""
    if _transposed_add(add):
        return add.target.id, set()
    target = add.target
    return target.value.id, {n.id for n in nodes(target.slice) if isinstance(n, ast.Name)}


def _view(add):
    """The view the buffer is bound to: ``T[idx]``, or ``T.T``."""
    if _transposed_add(add):
        return ast.Attribute(value=ast.Name(id=add.target.id, ctx=ast.Load()), attr="T",
                             ctx=ast.Load())
    view = ir.clone(add.target)
    view.ctx = ast.Load()
    return view


def _zeroed(s):
    if isinstance(s, ast.Assign) and len(s.targets) == 1 and \
            isinstance(s.targets[0], ast.Subscript) and \
            isinstance(s.targets[0].value, ast.Name) and _whole(s.targets[0].slice) and \
            isinstance(s.value, ast.Constant) and s.value.value == 0.0:
        return s.targets[0].value.id
    return None


def _whole(sl) -> bool:
    return isinstance(sl, ast.Slice) and sl.lower is None and sl.upper is None and \
        sl.step is None


def _mentions(node, name) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in nodes(node))


def _collect(stmts, name, windows) -> bool:
    """Find the windows of ``name`` in every block of ``stmts``: False when a
    block mentions it in a way no window covers."""
    covered: set = set()        # the statements of windows found (blocks come outer first)
    for block in blocks(stmts):
        k = 0
        while k < len(block):
            s = block[k]
            if id(s) in covered or not _mentions(s, name) or _allocation(s, name):
                k += 1
                continue
            if isinstance(s, (ast.For, ast.While, ast.If)) and not _adds_only(s, name):
                # a nested block holds the window, or nothing qualifies
                if _head_mentions(s, name):
                    return False
                k += 1
                continue
            end = next((j for j in range(k, len(block)) if _add_of(block[j]) == name), None)
            if end is None or not all(_adds_only(t, name) for t in block[k:end]):
                return False
            # the buffer starts at zero: made afresh before, or zeroed (or made
            # afresh: ``db = np.zeros_like(b)``) after each use, the next statement
            # mentioning it (a tape's pop may come between)
            after = next((j for j in range(end + 1, len(block)) if _mentions(block[j], name)),
                         None)
            zeroed = block[after] if after is not None and (
                _zeroed(block[after]) == name or _allocation(block[after], name)) else None
            if zeroed is None and not (any(_allocation(t, name) for t in block[:k]) and
                                       after is None):
                return False
            base, index_names = _base(block[end])
            changed = set().union(*(stored_names(t) for t in block[k:end])) if end > k else set()
            if (index_names | {base}) & changed or \
                    any(_mentions(t, base) for t in block[k:end]):
                return False
            last = after if zeroed is not None else end
            windows.append((block, s, block[end], zeroed))
            covered |= {id(n) for t in block[k:last + 1] for n in nodes(t)}
            k = last + 1
    return True


def _head_mentions(s, name) -> bool:
    heads = [s.test] if isinstance(s, (ast.If, ast.While)) else [s.target, s.iter]
    return any(_mentions(h, name) for h in heads)


def _adds_only(s, name) -> bool:
    """Every mention of ``name`` in ``s`` adds into it in place (``v[..] += e``,
    ``v += e``) with ``e`` free of it."""
    if isinstance(s, (ast.For, ast.While, ast.If)):
        return not _head_mentions(s, name) and \
            all(_adds_only(t, name) for t in s.body + s.orelse)
    if not _mentions(s, name):
        return True
    if not (isinstance(s, ast.AugAssign) and isinstance(s.op, (ast.Add, ast.Sub))) or \
            _mentions(s.value, name):
        return False
    t = s.target
    if isinstance(t, ast.Name):
        return t.id == name
    return isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and \
        t.value.id == name and not _mentions(t.slice, name)


def _allocation(s, name) -> bool:
    """``name = np.zeros_like(...)`` or ``name = np.zeros(...)``."""
    return isinstance(s, ast.Assign) and len(s.targets) == 1 and \
        isinstance(s.targets[0], ast.Name) and s.targets[0].id == name and \
        isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Attribute) and \
        isinstance(s.value.func.value, ast.Name) and s.value.func.value.id == "np" and \
        s.value.func.attr in ("zeros_like", "zeros") and not _mentions(s.value, name)


def _only_allocations(stmts, name, windows=()) -> bool:
    """Every statement of ``stmts`` that mentions ``name`` is an allocation of
    it or lies in one of ``windows``."""
    covered = set()
    for block, start, add, zeroed in windows:
        k, end = block.index(start), block.index(add)
        covered |= {id(n) for t in block[k:end + 1] + [zeroed] if t is not None
                    for n in nodes(t)}
    for block in blocks(stmts):
        for s in block:
            if id(s) in covered or not _mentions(s, name) or _allocation(s, name):
                continue
            if isinstance(s, (ast.For, ast.While, ast.If)) and not _head_mentions(s, name):
                continue        # its blocks are looked at on their own
            return False
    return True


def _drop_allocations(stmts, name) -> list:
    out = []
    for s in stmts:
        if _allocation(s, name):
            continue
        for f in ("body", "orelse"):
            inner = getattr(s, f, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                setattr(s, f, _drop_allocations(inner, name) or [ast.Pass()])
        out.append(s)
    return out
