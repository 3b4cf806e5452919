"""Lowering of a generated adjoint to a per-element function for batched targets.

``Program`` emits ``f_grad(args) -> (value, (grads...))``: it allocates its
array adjoints (``dx = np.zeros_like(x)``) and keeps its tapes in Python
lists (``_saved_s = []``, ``.append``, ``.pop()``).  A batched driver calls
it once per element, millions of times, and a CUDA kernel can allocate
neither.  This pass rewrites the emitted adjoint (after the reverse pass,
never inside it) into ``f_grad_element``:

* each list tape becomes a preallocated 1-D array passed in by the driver
  (a chunk's buffer on the CPU, a local array or a column of a global
  workspace on the GPU) and a top-of-stack counter, pushed and popped by
  inline code (a helper call per push was 2.5x slower on the Greeks loop).
  A push beyond the capacity is not stored but recorded in ``tape_need``
  (``tape_overflow``); the driver then runs the batch again with the
  capacity it reports, so a too-small guess costs time, never a wrong
  gradient.  The first pop of an overflowed tape is above its capacity: the
  element returns at once (its results are discarded), so no value from
  outside a tape is ever used;
* the adjoint of an array argument is written straight into the element's
  row of the output array (a parameter), zeroed by explicit loops;
* it returns ``value, scalar_grad_1, ...`` (flat; array gradients are
  already in their rows).

``check_kernel_subset`` rejects, with the user's line, what cannot run in a
CUDA kernel (allocations, NumPy calls, whole-array arithmetic, lists).

The output keeps the emitted comments that quote the user's lines.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import astor
import numpy as np

from ..errors import TransformError

TAPE_HELPERS = ("tape_overflow", "atomic_add")


# -- runtime helper (plain Python; the backends compile it for their target) --
def tape_overflow(need, k, top):
    """A push at ``top`` did not fit tape ``k``: record the capacity it needs
    (the driver runs the batch again with it)."""
    need[k] = max(need[k], top + 1)


@dataclass
class Tape:
    name: str
    dtype: np.dtype


@dataclass
class Element:
    """A lowered per-element adjoint."""
    name: str
    source: str
    params: list                       # the user's parameters
    grad_rows: dict                    # wrt index -> row parameter name (array gradients)
    scalar_grads: list                 # wrt indices returned as scalars, in order
    tapes: list = field(default_factory=list)
    list_tapes: list = field(default_factory=list)   # tapes left as lists (not lowerable)
    need: str = "tape_need"

    @property
    def signature(self) -> list:
        tapes = [t.name for t in self.tapes]
        return self.params + list(self.grad_rows.values()) + tapes + ([self.need] if tapes else [])


# -- comments ------------------------------------------------------------------
# the emitter's comment quoting a user's line: "# name:LINE  source text"
COMMENT = re.compile(r"^# (\w+):(\d+)  (.*)$")


def comment_groups(text: str) -> dict:
    """Line number of a statement -> the comment lines right above it."""
    groups, pending = {}, []
    for i, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s.startswith("#"):
            pending.append(s)
        elif s and pending:
            groups[i] = pending
            pending = []
    return groups


class Printer:
    """Statements back to source, each comment group printed once, before the
    first statement that came from the line it precedes."""

    def __init__(self, groups: dict):
        self.groups = groups
        self.done: set = set()
        self.lines: list = []

    def block(self, stmts, indent):
        for s in stmts:
            self.stmt(s, indent)

    def stmt(self, s, indent):
        pad = "    " * indent
        ln = getattr(s, "lineno", None)
        if ln in self.groups and ln not in self.done:
            self.done.add(ln)
            self.lines += [pad + c for c in self.groups[ln]]
        if isinstance(s, ast.If):
            self.lines.append(f"{pad}if {_expr(s.test)}:")
            self.block(s.body, indent + 1)
            if s.orelse:
                self.lines.append(f"{pad}else:")
                self.block(s.orelse, indent + 1)
        elif isinstance(s, ast.For):
            self.lines.append(f"{pad}for {_expr(s.target)} in {_expr(s.iter)}:")
            self.block(s.body, indent + 1)
        elif isinstance(s, ast.While):
            self.lines.append(f"{pad}while {_expr(s.test)}:")
            self.block(s.body, indent + 1)
        else:
            self.lines.append(pad + astor.to_source(s).rstrip().replace("\n", "\n" + pad))

    def function(self, name, params, doc, body) -> str:
        self.lines.append(f"def {name}({', '.join(params)}):")
        self.lines.append(f'    """{doc}"""')
        self.block(body, 1)
        self.lines.append("")
        return "\n".join(self.lines)


def _expr(node) -> str:
    return astor.to_source(node).strip()


def _stmt(code: str, like: ast.stmt) -> list:
    """Statements parsed from ``code`` carrying the line of ``like`` (for comments)."""
    body = ast.parse(code).body
    for s in body:
        for n in ast.walk(s):
            if isinstance(n, ast.stmt):
                n.lineno = getattr(like, "lineno", None)
    return body


# -- lowering ------------------------------------------------------------------
class NotLowerable(Exception):
    pass


def _is_call(node, owner, attr):
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == attr and isinstance(node.func.value, ast.Name)
            and (owner is None or node.func.value.id == owner))


def _zero_fill(name, ndim, like) -> list:
    idx = [f"_i{k}" for k in range(ndim)]
    lines = []
    for k, i in enumerate(idx):
        lines.append("    " * k + f"for {i} in range({name}.shape[{k}]):")
    lines.append("    " * ndim + f"{name}[{', '.join(idx)}] = 0.0")
    return _stmt("\n".join(lines), like)


def lower_adjoint(text: str, grad_name: str, params: list, types: list, wrt: tuple,
                  env: dict, accumulate=(), atomic: bool = False) -> Element:
    """Rewrite the emitted adjoint ``grad_name`` (source ``text``) into a per-element
    function; see the module docstring.

    ``accumulate``: wrt indices of array arguments whose gradient is *added* into
    the row passed in (a sum over the batch, ``reduce="sum"``) instead of
    overwriting it; with ``atomic`` each addition is an ``atomic_add`` (threads
    of a CUDA kernel share the row)."""
    fn = ast.parse(text).body[0]
    groups = comment_groups(text)
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    ret = body[-1]
    if not (isinstance(ret, ast.Return) and isinstance(ret.value, ast.Tuple)
            and len(ret.value.elts) == 2 and isinstance(ret.value.elts[1], ast.Tuple)):
        raise NotLowerable(f"unexpected result statement in {grad_name}")
    value, grads = ret.value.elts[0], ret.value.elts[1].elts
    taken = _names(fn) | set(params)

    def fresh(base):
        name, k = base, 1
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        taken.add(name)
        return name

    grad_rows, scalar_grads, returned, tail = {}, [], [value], []
    for k, g in zip(wrt, grads):
        t = types[k]
        if not t.is_array:
            scalar_grads.append(k)
            returned.append(g)
            continue
        if isinstance(g, ast.Name):
            inits = [i for i, s in enumerate(body) if isinstance(s, ast.Assign)
                     and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                     and s.targets[0].id == g.id and _is_call(s.value, "np", "zeros_like")]
            rebound = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == g.id
                       and isinstance(n.ctx, ast.Store)]
            summed = k in accumulate
            if len(inits) == 1 and len(rebound) == 1 and (
                    not summed or _only_added_into(fn, g.id, ret)):
                grad_rows[k] = g.id
                i = inits[0]
                # a summed row starts at zero once, before the batch
                if summed:
                    _drop_keeping_comments(body, i, groups)
                else:
                    body[i:i + 1] = _zero_fill(g.id, t.ndim, body[i])
                if summed and atomic:
                    body[:] = _atomic_adds(body, g.id)
                continue
            row = fresh(g.id + "_row")
            grad_rows[k] = row
            tail += (_add_into(row, g.id, t.ndim, ret, atomic) if summed
                     else _stmt(f"{row}[:] = {g.id}", ret))
        else:   # np.zeros_like(x): no path from x to the result
            row = fresh("d" + params[k])
            grad_rows[k] = row
            if k not in accumulate:
                tail += _zero_fill(row, t.ndim, ret)
    result = ", ".join(_expr(e) for e in returned)
    body[-1:] = tail + _stmt(f"return {result}", ret)

    need = fresh("tape_need")
    store_expensive_recomputations(body, fresh)
    abort = "return " + ", ".join(["0.0"] * len(returned))
    tapes, list_tapes = _lower_tapes(body, fn, env, fresh, need, abort)
    tapes += _lower_indexed_tapes(body, need, abort, len(tapes))
    element = Element(fresh(grad_name + "_element"), "", list(params), grad_rows, scalar_grads,
                      tapes, list_tapes, need)
    doc = f"{fn.name} for one element of a batch"
    doc += ", array gradients written into their rows" if grad_rows else ""
    doc += "." if not tapes else (
        ", tapes in preallocated arrays.\n\n    A tape too small for what this element "
        "saves returns zeros at once (a\n    pop above its capacity, or a trip count larger "
        "than its capacity): the\n    driver runs the batch again with the capacities "
        "reported in tape_need.")
    element.source = Printer(groups).function(element.name, element.signature, doc, body)
    return element


def _drop_keeping_comments(body, i, groups) -> None:
    """Remove statement ``i``; the comments above it go to the next statement."""
    line = getattr(body.pop(i), "lineno", None)
    if line in groups and i < len(body):
        after = getattr(body[i], "lineno", None)
        if after is not None:
            groups[after] = groups.pop(line) + groups.get(after, [])


def _only_added_into(fn, name, ret) -> bool:
    """Is array ``name`` only created, added into (``name[i] += e``) and returned
    (by ``ret``)?  Then a row that already holds a partial sum can take the
    additions."""
    added = {id(n) for n in ast.walk(ret)}
    for n in ast.walk(fn):
        if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add) \
                and isinstance(n.target, ast.Subscript) \
                and isinstance(n.target.value, ast.Name) and n.target.value.id == name:
            added.add(id(n.target.value))
    uses = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == name]
    stores = [n for n in uses if isinstance(n.ctx, ast.Store)]
    return len(stores) == 1 and all(id(n) in added for n in uses if n not in stores)


def _atomic_adds(stmts, name) -> list:
    """``name[i] += e`` -> ``atomic_add(name, i, e)``, in nested blocks too."""
    out = []
    for s in stmts:
        if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Subscript) \
                and isinstance(s.target.value, ast.Name) and s.target.value.id == name:
            call = ast.Call(func=ast.Name(id="atomic_add", ctx=ast.Load()),
                            args=[ast.Name(id=name, ctx=ast.Load()), s.target.slice, s.value],
                            keywords=[])
            out.append(ast.copy_location(ast.Expr(value=call), s))
            continue
        for f in ("body", "orelse"):
            if getattr(s, f, None):
                setattr(s, f, _atomic_adds(getattr(s, f), name))
        out.append(s)
    return out


def _add_into(row, name, ndim, like, atomic) -> list:
    """Loops adding array ``name`` into ``row`` (a partial sum)."""
    idx = ", ".join(f"_i{k}" for k in range(ndim))
    lines = ["    " * k + f"for _i{k} in range({row}.shape[{k}]):" for k in range(ndim)]
    add = (f"atomic_add({row}, ({idx}), {name}[{idx}])" if atomic
           else f"{row}[{idx}] += {name}[{idx}]")
    lines.append("    " * ndim + add)
    return _stmt("\n".join(lines), like)


def atomic_add(row, index, value):
    """``row[index] += value`` (the plain form of the CUDA atomic addition)."""
    row[index] += value


EXPENSIVE = {"exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tan", "asin",
             "acos", "atan", "atan2", "sinh", "cosh", "tanh", "erf", "pow", "hypot"}


def _is_reverse_range(it) -> bool:
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name)
            and it.func.id == "range" and len(it.args) == 3):
        return False
    step = it.args[2]
    return (isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub)
            and isinstance(step.operand, ast.Constant) and step.operand.value == 1) or \
        (isinstance(step, ast.Constant) and step.value == -1)


def _assigned(stmts, name) -> int:
    return sum(1 for s in stmts for n in ast.walk(s)
               if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store))


def store_expensive_recomputations(body, fresh) -> list:
    """Tape transcendental results the reverse sweep would recompute.

    The reverse pass recomputes loop-body values from the loop index and
    loop-invariant values instead of taping them (less memory); for
    ``math.exp`` and friends a float on a tape that stays in cache is cheaper
    than a second evaluation.  Only a statement at the top level of a
    top-level forward loop whose exact copy sits at the top level of the
    matching reverse loop is changed (same iterations, same values), so the
    rewrite cannot change a result.  Returns the names now taped."""
    forward = [s for s in body if isinstance(s, ast.For) and not _is_reverse_range(s.iter)]
    reverse = [s for s in body if isinstance(s, ast.For) and _is_reverse_range(s.iter)]
    stored = []
    for target in {f.target.id for f in forward if isinstance(f.target, ast.Name)}:
        fs = [f for f in forward if isinstance(f.target, ast.Name) and f.target.id == target]
        rs = [r for r in reverse if isinstance(r.target, ast.Name) and r.target.id == target]
        if len(fs) != len(rs):
            continue
        for f, r in zip(fs, reversed(rs)):
            for k, st in enumerate(list(f.body)):
                if not (isinstance(st, ast.Assign) and len(st.targets) == 1
                        and isinstance(st.targets[0], ast.Name) and isinstance(st.value, ast.Call)
                        and isinstance(st.value.func, ast.Attribute)
                        and isinstance(st.value.func.value, ast.Name)
                        and st.value.func.value.id == "math"
                        and st.value.func.attr in EXPENSIVE):
                    continue
                var = st.targets[0].id
                copies = [i for i, x in enumerate(r.body) if ast.dump(x) == ast.dump(st)]
                if len(copies) != 1 or _assigned(body, var) != 2:
                    continue
                tape = fresh("_saved_" + var.lstrip("_"))
                body.insert(0, _stmt(f"{tape} = []", None)[0])
                k = f.body.index(st)
                f.body.insert(k + 1, _stmt(f"{tape}.append({var})", st)[0])
                i = copies[0]
                r.body[i] = _stmt(f"{var} = {tape}.pop()", r.body[i])[0]
                stored.append(var)
            if stored:
                _drop_dead_recomputations(r, body[body.index(r) + 1:])
    return stored


def _pure(e) -> bool:
    for n in ast.walk(e):
        if isinstance(n, ast.Call) and not (isinstance(n.func, ast.Attribute)
                                            and isinstance(n.func.value, ast.Name)
                                            and n.func.value.id == "math"):
            return False
        if isinstance(n, (ast.NamedExpr, ast.Await, ast.Yield)):
            return False
    return True


def _drop_dead_recomputations(loop, after):
    """Recomputations in a reverse loop that only fed a value now popped."""
    while True:
        reads = {n.id for s in loop.body + after for n in ast.walk(s)
                 if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        dead = [s for s in loop.body if isinstance(s, ast.Assign) and len(s.targets) == 1
                and isinstance(s.targets[0], ast.Name) and s.targets[0].id not in reads
                and _pure(s.value)]
        if not dead:
            return
        loop.body = [s for s in loop.body if s not in dead]


def _names(fn) -> set:
    return {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)} | \
        {a.arg for a in ast.walk(fn) if isinstance(a, ast.arg)}


def _push_type(e, env):
    from .types import const_type, scalar
    if isinstance(e, ast.Name):
        return env.get(e.id)
    if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name):
        t = env.get(e.value.id)
        if t is not None and t.is_array:
            return scalar(t.dtype)
    if isinstance(e, ast.Constant):
        return const_type(e.value)
    return None


def _lower_tapes(body, fn, env, fresh, need, abort):
    """Top-level ``X = []`` tapes used only by ``X.append(e)`` / ``... = X.pop()``
    become arrays; others stay lists (reported)."""
    inits = {s.targets[0].id: s for s in body if isinstance(s, ast.Assign)
             and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
             and isinstance(s.value, ast.List) and not s.value.elts}
    if not inits:
        return [], []
    uses = {name: 0 for name in inits}
    for n in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(n, ast.Name) and n.id in uses:
            uses[n.id] += 1
    pushes = {name: [] for name in inits}
    pops = {name: 0 for name in inits}
    for n in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(n, ast.Expr) and _is_call(n.value, None, "append") \
                and n.value.func.value.id in inits and len(n.value.args) == 1:
            pushes[n.value.func.value.id].append(n.value.args[0])
        elif isinstance(n, ast.Assign) and _is_call(n.value, None, "pop") \
                and n.value.func.value.id in inits and not n.value.args \
                and len(n.targets) == 1:
            pops[n.value.func.value.id] += 1
    tapes, left, index = [], [], {}
    for name in inits:
        kinds = {_push_type(e, env) for e in pushes[name]}
        ok = (uses[name] == 1 + len(pushes[name]) + pops[name] and len(kinds) == 1
              and None not in kinds and next(iter(kinds)).is_scalar)
        if ok:
            index[name] = (len(tapes), fresh(name + "_top"))
            tapes.append(Tape(name, next(iter(kinds)).dtype))
        else:
            left.append(name)

    def rewrite(stmts):
        out = []
        for s in stmts:
            if s in [inits[t] for t in index]:
                out += _stmt(f"{index[s.targets[0].id][1]} = 0", s)
            elif isinstance(s, ast.Expr) and _is_call(s.value, None, "append") \
                    and s.value.func.value.id in index:
                name = s.value.func.value.id
                k, top = index[name]
                out += _stmt(f"if {top} < {name}.shape[0]:\n"
                             f"    {name}[{top}] = {_expr(s.value.args[0])}\n"
                             f"else:\n"
                             f"    tape_overflow({need}, {k}, {top})\n"
                             f"{top} += 1", s)
            elif isinstance(s, ast.Assign) and _is_call(s.value, None, "pop") \
                    and s.value.func.value.id in index:
                name = s.value.func.value.id
                top = index[name][1]
                out += _stmt(f"{top} -= 1\n"
                             f"if {top} >= {name}.shape[0]:\n"
                             f"    {abort}\n"
                             f"{_expr(s.targets[0])} = {name}[{top}]", s)
            else:
                for f in ("body", "orelse"):
                    if getattr(s, f, None):
                        setattr(s, f, rewrite(getattr(s, f)))
                out.append(s)
        return out

    body[:] = rewrite(body)
    return tapes, left


def _lower_indexed_tapes(body, need, abort, first) -> list:
    """Tapes the reverse pass allocated by trip count (``X = np.empty(size, dtype)``,
    then ``X[i] = v`` / ``v = X[i]``) become preallocated arrays: the
    allocation turns into a capacity check."""
    module = ast.Module(body=body, type_ignores=[])
    allocs, uses = {}, {}
    for n in ast.walk(module):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 \
                and isinstance(n.targets[0], ast.Name) and _is_call(n.value, "np", "empty") \
                and len(n.value.args) == 2 and not n.value.keywords \
                and not isinstance(n.value.args[0], (ast.Tuple, ast.List)) \
                and isinstance(n.value.args[1], ast.Attribute) \
                and isinstance(n.value.args[1].value, ast.Name) \
                and n.value.args[1].value.id == "np":
            try:
                dtype = np.dtype(n.value.args[1].attr)
            except TypeError:
                continue
            allocs.setdefault(n.targets[0].id, []).append((n, dtype))
    for n in ast.walk(module):
        if isinstance(n, ast.Name) and n.id in allocs:
            uses[n.id] = uses.get(n.id, 0) + 1
    indexed = {n.value.id: 0 for n in ast.walk(module)
               if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)}
    for n in ast.walk(module):
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) \
                and n.value.id in allocs and not isinstance(n.slice, ast.Tuple) \
                and not any(isinstance(x, ast.Slice) for x in ast.walk(n.slice)):
            indexed[n.value.id] += 1      # one index, no slice: an element
    tapes, checks = [], {}
    for name, found in allocs.items():
        dtypes = {d for _, d in found}
        if len(dtypes) != 1 or uses[name] != len(found) + indexed.get(name, 0):
            continue            # used some other way: left as it is
        k = first + len(tapes)
        tapes.append(Tape(name, dtypes.pop()))
        for stmt, _ in found:
            size = _expr(stmt.value.args[0])
            checks[id(stmt)] = _stmt(f"if {size} > {name}.shape[0]:\n"
                                     f"    tape_overflow({need}, {k}, {size} - 1)\n"
                                     f"    {abort}", stmt)

    def rewrite(stmts):
        out = []
        for st in stmts:
            if id(st) in checks:
                out += checks[id(st)]
                continue
            for f in ("body", "orelse"):
                if getattr(st, f, None):
                    setattr(st, f, rewrite(getattr(st, f)))
            out.append(st)
        return out

    body[:] = rewrite(body)
    return tapes


# -- CUDA subset ---------------------------------------------------------------
CUDA_BUILTINS = {"min", "max", "abs", "float", "int", "bool", "range", "len", *TAPE_HELPERS}
CUDA_NUMPY_CASTS = {"float64", "float32", "int64", "int32", "bool_"}


def check_kernel_subset(text: str, env: dict, functions: set, where) -> None:
    """Raise a TransformError (at the user's line) for what a CUDA kernel cannot run.

    ``text``: one generated function; ``env``: its types; ``functions``: names of
    the generated functions it may call; ``where(comment)`` -> (file, line, text)."""
    tree = ast.parse(text).body[0]
    arrays = set()
    for v, t in env.items():
        if t is not None and t.is_array:
            arrays |= {v, "d" + v, "_d" + v[1:] if v.startswith("_") else "d" + v,
                       "d_" + v.lstrip("_")}
    groups = comment_groups(text)
    lines = sorted(groups)

    def fail(node, why):
        ln = max((k for k in lines if k <= node.lineno), default=None)
        comment = next((c for c in reversed(groups.get(ln, [])) if not c.startswith("# --")),
                       None) if ln else None
        filename, line, source = where(comment)
        raise TransformError(f"cannot run in a CUDA kernel (target='cuda'): {why}",
                             filename, line, 0, source)

    for stmt in ast.walk(tree):
        if not isinstance(stmt, ast.stmt) or stmt is tree:
            continue
        for n in ast.iter_child_nodes(stmt):
            if isinstance(n, ast.stmt):
                continue
            for node in ast.walk(n):
                _check_node(node, stmt, arrays, functions, fail)
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) \
                and stmt.target.id in arrays:
            fail(stmt, f"whole-array update of '{stmt.target.id}' (index its elements)")


def _check_node(node, stmt, arrays, functions, fail):
    if isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            if f.value.id == "math":
                return
            if f.value.id == "np" and f.attr in CUDA_NUMPY_CASTS:
                return
            fail(stmt, f"'{f.value.id}.{f.attr}(...)' needs NumPy or an allocation")
        if isinstance(f, ast.Name) and (f.id in CUDA_BUILTINS or f.id in functions):
            return
        fail(stmt, f"call of '{_expr(f)}' is not available in device code")
    if isinstance(node, (ast.List, ast.ListComp, ast.Dict, ast.Set, ast.Lambda)):
        fail(stmt, "Python containers (lists, dicts) do not exist in device code")
    if isinstance(node, ast.Subscript) and any(isinstance(s, ast.Slice)
                                               for s in ast.walk(node.slice)):
        fail(stmt, "array slices (use element indexing)")
    operands = ()
    if isinstance(node, ast.BinOp):
        operands = (node.left, node.right)
    elif isinstance(node, ast.UnaryOp):
        operands = (node.operand,)
    elif isinstance(node, ast.Compare):
        operands = (node.left, *node.comparators)
    for o in operands:
        if isinstance(o, ast.Name) and o.id in arrays:
            fail(stmt, f"whole-array arithmetic on '{o.id}' (index its elements)")

