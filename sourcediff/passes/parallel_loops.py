"""``target="parallel"``: the outermost loops whose iterations are independent
run as ``numba.prange`` (SPEC section 2).

Decided on each generated function as emitted (primal, adjoint, tangent), so
the forward and reverse sweeps' loops, fused ones included, are judged as
they will run.  A loop whose iterations write their own elements and add
into numbers::

    for i in range(n):
        t = math.sin(a * x[i])       # bound in the iteration: private
        out[i] = t * t               # its own element
        total += out[i] * x[i]       # a sum: Numba adds up the threads' parts

becomes ``for i in prange(n):``.  A loop that also adds into elements of a
shared array that other iterations add into too (a gradient's ``dw[j] +=
...`` over the rows of a logistic loss) runs in chunks of its iterations,
each adding into its own zeroed copy, added into the array after the chunk
(Numba's array reductions)::

    _chunks = min(max(n, 0), 64)
    dw_zero = np.zeros_like(dw)
    for _chunk in prange(_chunks):
        dw_part = dw_zero.copy()
        s_part = 0.0
        for i in range(_chunk * (n) // _chunks, (_chunk + 1) * (n) // _chunks):
            ...                      # the loop's body, adding into dw_part, s_part
        s += s_part
        dw += dw_part

Sums may be rounded differently from the ``cpu`` target's (as its
reassociated sums may be).

Taken only when each holds, else the loop stays ``range`` (the inner loops of
a loop that is taken stay ``range``; loops inside a loop that is not are not
tried: a time loop's 200-point inner loop would pay a thread launch per step):

* ``range`` with step 1; the loop has no ``break``, ``continue`` or
  ``return`` of its own and no ``else``;
* a number the loop binds is either a sum (its only mentions are ``name +=
  e`` with ``e`` not mentioning it, and it starts as a literal number before
  the loop) or bound before any read in each iteration, on every path, and
  dead after the loop (the next mention after it binds it first);
* every array the loop writes into is subscripted, everywhere in the loop,
  with the loop's index in one same position (``X[i]``, ``X[i, j]``), or is
  only added into (``X[...] += e``, read nowhere in the loop), or is
  allocated in the iteration; it is never bound in the function to a view of
  another array, nor taken a view of (``Y = X``, ``X[1:]``, ``X.T``);
* calls are to ``math`` or to NumPy functions that write nothing (no
  generated helpers, no list tapes, no random numbers: Numba gives each
  thread its own generator).

A loop that keeps values on a tape shared by its iterations (a Monte Carlo
path loop whose steps are saved for its reverse) stays serial: batch such
programs (``batch=``, SPEC section 4) to spread them over cores.  Each loop
tried and left serial says why in a ``# serial:`` line above it (the first
condition it fails: ``'u' goes from one iteration to the next``).
"""
from __future__ import annotations

import ast
import re

from .astutil import nodes

# NumPy calls that return a new value and write into none of their arguments
_NP_PURE = {
    "abs", "absolute", "sqrt", "exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos",
    "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh",
    "arccosh", "arctanh", "power", "square", "maximum", "minimum", "fmax", "fmin", "where",
    "sign", "floor", "ceil", "hypot", "clip", "sum", "prod", "mean", "max", "min", "amax",
    "amin", "dot", "zeros", "ones", "empty", "zeros_like", "ones_like", "empty_like", "full",
    "copy", "isnan", "isinf", "isfinite", "float64", "float32", "int64", "pi", "e", "inf",
    "sinc", "deg2rad", "rad2deg", "cbrt", "reciprocal", "negative", "logaddexp", "argmax",
    "argmin", "outer", "array", "linspace", "arange",
}
# chunks of a loop adding into shared arrays: enough for the cores of one
# machine (a constant, not Numba's thread count: a call that reads that cannot
# be cached); each chunk adds its part of the sums into them once
CHUNKS = 64
_BUILTINS = {"float", "int", "abs", "min", "max", "len", "range", "bool"}
_PURE_METHODS = {"copy", "astype", "sum", "max", "min", "mean", "dot", "prod"}
_ALLOCATIONS = {"zeros", "ones", "empty", "zeros_like", "ones_like", "empty_like", "full",
                "copy", "array", "arange", "linspace"}


def parallel_loops(fn: ast.FunctionDef, serial=None) -> list:
    """The ``for`` loops of ``fn`` to run as ``prange``: each a pair of the loop
    node and the sorted names it sums into.  ``serial``: a dict given to learn
    why each other loop tried stays serial (id(loop) -> (loop, reason))."""
    chosen = []

    def visit(block, after):
        for k, s in enumerate(block):
            rest = [block[k + 1:]] + after
            if isinstance(s, ast.For):
                why = []
                sums = _independent(s, fn, rest, why)
                if sums is not None:
                    chosen.append((s, sums))
                elif serial is not None and why:
                    serial[id(s)] = (s, why[0])
            elif isinstance(s, ast.If):
                visit(s.body, rest)
                visit(s.orelse, rest)
    visit(fn.body, [])
    return chosen


def _independent(loop, fn, after, why=None):
    """``(sums, array_sums)``: the numbers and the arrays ``loop`` adds into,
    when its iterations are independent; else None (and the reason appended to
    ``why``)."""
    why = [] if why is None else why
    if not (isinstance(loop.target, ast.Name) and _unit_range(loop.iter)) or loop.orelse:
        return why.append("not a range with step 1")
    index = loop.target.id
    if _own_exits(loop.body):
        return why.append("it may leave early")
    if not _pure_calls(loop):
        return why.append("it calls a function that may write (a tape's push or pop, "
                          "a helper)")
    sums, private = [], set()
    for name in sorted(_stored(loop.body) - {index}):
        if _is_sum(name, loop, fn):
            sums.append(name)
        elif _first(name, loop.body) != "unsafe" and _dead_after(name, after):
            private.add(name)
        else:
            return why.append(f"'{name}' goes from one iteration to the next")
    if not _dead_after(index, after):
        return why.append("its index is read after it")
    array_sums = _arrays_by_index(loop, index, private, fn)
    if array_sums is None:
        return why.append("an array it writes is written at elements other iterations "
                          "read or write")
    return sorted(sums), sorted(array_sums)


def _unit_range(it):
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
            and 1 <= len(it.args) <= 3 and not it.keywords):
        return False
    return len(it.args) < 3 or isinstance(it.args[2], ast.Constant) and it.args[2].value == 1


def _own_exits(body) -> bool:
    """Whether a statement of ``body`` (not inside an inner loop) leaves the loop."""
    for s in body:
        if isinstance(s, (ast.Break, ast.Continue, ast.Return, ast.Raise, ast.Try, ast.With,
                          ast.Global, ast.Nonlocal, ast.Delete)):
            return True
        if isinstance(s, ast.If) and (_own_exits(s.body) or _own_exits(s.orelse)):
            return True
        if isinstance(s, (ast.For, ast.While)) and any(
                isinstance(n, (ast.Return, ast.Raise, ast.Try, ast.Yield)) for n in nodes(s)):
            return True
    return False


def _pure_calls(loop) -> bool:
    for node in nodes(loop):
        if not isinstance(node, ast.Call) or node is loop.iter:
            continue
        f = node.func
        if isinstance(f, ast.Name):
            if f.id not in _BUILTINS:
                return False
        elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and \
                f.value.id in ("math", "np"):
            if f.value.id == "np" and f.attr not in _NP_PURE:
                return False
        elif isinstance(f, ast.Attribute) and f.attr in _PURE_METHODS:
            continue
        else:
            return False
    return True


def _stored(body) -> set:
    return {node.id for s in body for node in nodes(s)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}


def _is_sum(name, loop, fn) -> bool:
    """``name`` is only ever added to in ``loop`` with one operator, and starts as
    a literal number before it."""
    ops = set()
    for node in nodes(loop):
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and \
                node.target.id == name:
            if any(isinstance(n, ast.Name) and n.id == name for n in nodes(node.value)):
                return False
            ops.add(type(node.op))
        elif isinstance(node, ast.Name) and node.id == name and not any(
                isinstance(a, ast.AugAssign) and a.target is node for a in nodes(loop)):
            return False
    if len(ops) != 1 or ops.pop() not in (ast.Add, ast.Mult):
        return False
    for node in nodes(fn):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and \
                node.value.id == name:
            return False
    starts = [s for s in nodes(fn) if isinstance(s, ast.Assign) and len(s.targets) == 1
              and isinstance(s.targets[0], ast.Name) and s.targets[0].id == name]
    return bool(starts) and all(_literal_number(s.value) for s in starts)


def _literal_number(v) -> bool:
    if isinstance(v, ast.UnaryOp) and isinstance(v.op, ast.USub):
        v = v.operand
    return isinstance(v, ast.Constant) and type(v.value) in (int, float)


def _first(name, block) -> str:
    """How the statements of ``block`` meet ``name`` on their first mention of
    it: ``"bound"`` (a plain assignment or an inner loop's index binds it before
    any read, on every path), ``"maybe"`` (bound on some paths, read on none
    before that), ``"untouched"``, or ``"unsafe"`` (possibly read first)."""
    state = "untouched"
    for s in block:
        if not _mentions(s, name):
            continue
        if isinstance(s, ast.Assign):
            if _mentions(s.value, name) or not any(
                    isinstance(t, ast.Name) and t.id == name for t in s.targets):
                return "unsafe"
            return "bound"
        if isinstance(s, ast.For):
            if _mentions(s.iter, name):
                return "unsafe"
            if isinstance(s.target, ast.Name) and s.target.id == name:
                return "bound"
            if _mentions(s.target, name) or _first(name, s.body) == "unsafe" or s.orelse:
                return "unsafe"
            state = "maybe"
        elif isinstance(s, ast.If):
            if _mentions(s.test, name):
                return "unsafe"
            branches = {_first(name, s.body), _first(name, s.orelse)}
            if "unsafe" in branches:
                return "unsafe"
            if branches == {"bound"}:
                return "bound"
            state = "maybe"
        else:
            return "unsafe"
    return state


def _mentions(node, name) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in nodes(node))


def _dead_after(name, after) -> bool:
    """Nothing after the loop reads the value it leaves in ``name`` (``after``
    lists the rest of each enclosing block, innermost first)."""
    return _first(name, [s for block in after for s in block]) != "unsafe"


def _arrays_by_index(loop, index, private, fn):
    """The shared arrays ``loop`` only adds into at other elements than its
    index selects (an adjoint's ``dw[j] += ...`` over rows), when every other
    array it writes is its iteration's own or written at its index; else None."""
    written = set()
    for node in nodes(loop):
        target = node.target if isinstance(node, ast.AugAssign) else None
        targets = node.targets if isinstance(node, ast.Assign) else [target]
        for t in targets:
            for sub in nodes(t) if t is not None else ():
                if isinstance(sub, ast.Subscript) and isinstance(sub.ctx, ast.Store):
                    if not isinstance(sub.value, ast.Name):
                        return None
                    written.add(sub.value.id)
    for name in written & private:
        # an array made in the iteration, not a row of a shared one
        if not all(_allocation(node.value) for node in nodes(loop)
                   if isinstance(node, ast.Assign) and any(
                       isinstance(t, ast.Name) and t.id == name for t in node.targets)):
            return None
    array_sums = []
    for name in written - private:
        if not _fresh_everywhere(name, fn):
            return None
        if not _by_index(name, loop, index):
            if not _only_added_to(name, loop):
                return None
            array_sums.append(name)
    return array_sums


def _by_index(name, loop, index) -> bool:
    """Every subscript of the array ``name`` in ``loop`` has the loop's index
    in one same position (iterations touch their own elements only)."""
    positions = None
    for node in nodes(loop):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and \
                node.value.id == name:
            found = _index_positions(node.slice, index)
            positions = found if positions is None else positions & found
            if not positions:
                return False
        elif isinstance(node, ast.Name) and node.id == name and not _subscripted(node, loop):
            return False        # the whole array read or passed in the loop
    return True


def _only_added_to(name, loop) -> bool:
    """Every mention of the array ``name`` in ``loop`` is ``name[...] += e``
    (``e`` and the index not mentioning it)."""
    adds = [node for node in nodes(loop) if isinstance(node, ast.AugAssign)
            and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Subscript)
            and isinstance(node.target.value, ast.Name) and node.target.value.id == name]
    mentions = sum(1 for node in nodes(loop) if isinstance(node, ast.Name) and node.id == name)
    return bool(adds) and mentions == len(adds) and not any(
        _mentions(a.value, name) or _mentions(a.target.slice, name) for a in adds)


def _index_positions(slice_, index) -> set:
    items = slice_.elts if isinstance(slice_, ast.Tuple) else [slice_]
    return {k for k, e in enumerate(items) if isinstance(e, ast.Name) and e.id == index}


def _subscripted(name_node, loop) -> bool:
    return any(isinstance(n, ast.Subscript) and n.value is name_node for n in nodes(loop)) \
        or any(isinstance(n, ast.Attribute) and n.value is name_node and
               n.attr in ("shape", "size", "ndim", "dtype") for n in nodes(loop))


def _fresh_everywhere(name, fn) -> bool:
    """``name`` is a parameter or bound only to new arrays, and no other name is
    bound to it or to a view of it."""
    rank = _rows(name, fn)
    for node in nodes(fn):
        if isinstance(node, ast.Assign):
            binds = any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
                        for t in node.targets for n in nodes(t))
            if binds and not _allocation(node.value):
                return False
            if _view_of(node.value, name, rank):
                return False
        elif isinstance(node, ast.For) and any(isinstance(n, ast.Name) and n.id == name
                                               for n in nodes(node.target)):
            return False
    return True


def _allocation(v) -> bool:
    if not isinstance(v, ast.Call):
        return False
    f = v.func
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "np":
        return f.attr in _ALLOCATIONS
    return isinstance(f, ast.Attribute) and f.attr in ("copy", "astype")


def _rows(name, fn) -> int:
    """How many indices ``name`` is subscripted with at most in ``fn`` (an
    array read with two is a matrix, and ``X[i]`` of it a row)."""
    return max([len(n.slice.elts) if isinstance(n.slice, ast.Tuple) else 1
                for n in nodes(fn) if isinstance(n, ast.Subscript)
                and isinstance(n.value, ast.Name) and n.value.id == name], default=0)


def _view_of(v, name, rank) -> bool:
    """``v`` may share memory with the array ``name`` (subscripted with at most
    ``rank`` indices)."""
    if isinstance(v, ast.Name):
        return v.id == name
    if isinstance(v, ast.Tuple):
        return any(_view_of(e, name, rank) for e in v.elts)
    if isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name) and v.value.id == name:
        items = v.slice.elts if isinstance(v.slice, ast.Tuple) else [v.slice]
        return any(isinstance(e, ast.Slice) for e in items) or len(items) < rank
    if isinstance(v, ast.Attribute) and isinstance(v.value, ast.Name) and v.value.id == name:
        return v.attr not in ("shape", "size", "ndim", "dtype")
    if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and \
            isinstance(v.func.value, ast.Name) and v.func.value.id == name:
        return v.func.attr not in ("copy", "astype", "sum", "max", "min", "mean", "prod")
    return False


def prange_source(text: str) -> str:
    """The generated function ``text`` with its independent loops over
    ``prange``, each under a comment saying so.  A loop adding into shared
    arrays runs in chunks (a few per thread), each adding into its own zeroed
    copies, which Numba adds up (its array reductions)."""
    fn = ast.parse(text).body[0]
    lines = text.split("\n")
    taken = set(re.findall(r"\w+", text))
    serial: dict = {}
    chosen = parallel_loops(fn, serial)
    # (the loops tried are disjoint: edited from the last up, each edit leaves the
    # lines of the loops above it where they are)
    edits = [(loop, None, why) for loop, why in serial.values()] + \
        [(loop, found, None) for loop, found in chosen]
    for loop, found, why in sorted(edits, key=lambda e: -e[0].lineno):
        first, last = loop.lineno - 1, loop.end_lineno
        header = lines[first]
        indent = header[:len(header) - len(header.lstrip())]
        if found is None:
            lines.insert(first, f"{indent}# serial: {why}")
            continue
        sums, array_sums = found
        if not array_sums and not _added_to_twice(loop, sums):
            why = f"; its sums ({', '.join(sums)}) are added up across threads" if sums else ""
            lines[first:first + 1] = [f"{indent}# parallel: the iterations are independent{why}",
                                      header.replace(" in range(", " in prange(", 1)]
            continue
        lines[first:last] = _chunked(loop, lines[first:last], indent, sums, array_sums, taken)
    return "\n".join(lines)


def _added_to_twice(loop, sums) -> bool:
    """A sum with more than one ``+=`` in the loop: Numba's parfor reductions take
    one update per iteration ("use of reduction variable ... other than in a
    supported reduction function"), so the loop runs in chunks, each adding into a
    part of its own (a private number, any number of times), added in once."""
    counts: dict = {}
    for node in nodes(loop):
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            counts[node.target.id] = counts.get(node.target.id, 0) + 1
    return any(counts.get(name, 0) > 1 for name in sums)


def _chunked(loop, lines, indent, sums, array_sums, taken) -> list:
    """``lines`` (the loop) as a ``prange`` over chunks of its iterations whose
    sums go into per-chunk parts (``dw_part``), added into ``dw`` after each chunk."""
    def fresh(base):
        name, k = base, 1
        while name in taken:
            name, k = f"{base}{k}", k + 1
        taken.add(name)
        return name
    chunks, chunk = fresh("_chunks"), fresh("_chunk")
    parts = {name: fresh(f"{name}_part") for name in sums + array_sums}
    zeros = {name: fresh(f"{name}_zero") for name in array_sums}
    args = [ast.unparse(a) for a in loop.iter.args[:2]]
    start, stop = (["0"] + args)[-2:]
    count = stop if start == "0" else f"{stop} - {start}"
    lo = f"{chunk} * ({count}) // {chunks}"
    hi = f"({chunk} + 1) * ({count}) // {chunks}"
    if start != "0":
        lo, hi = f"{start} + {lo}", f"{start} + {hi}"
    inner = "    "
    out = [(f"{indent}# parallel: the iterations are independent; they run in chunks, each "
            f"adding into its own {', '.join(parts.values())} (added into "
            f"{', '.join(parts)} after the chunk)")]
    out.append(f"{indent}{chunks} = min(max({count}, 0), {CHUNKS})")
    out += [f"{indent}{zeros[n]} = np.zeros_like({n})" for n in array_sums]
    out.append(f"{indent}for {chunk} in prange({chunks}):")
    out += [f"{indent}{inner}{parts[n]} = {zeros[n]}.copy()" for n in array_sums]
    out += [f"{indent}{inner}{parts[n]} = 0.0" for n in sums]
    out.append(f"{indent}{inner}for {loop.target.id} in range({lo}, {hi}):")
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, parts)) + r")\b")
    for line in lines[1:]:
        code, hash_, comment = line.partition("#")
        out.append(inner + pattern.sub(lambda m: parts[m.group(1)], code) + hash_ + comment
                   if line.strip() else line)
    out += [f"{indent}{inner}{n} += {parts[n]}" for n in sums + array_sums]
    return out
