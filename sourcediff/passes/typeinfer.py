"""Infer the type of every variable of a normalized function (one signature)."""
from __future__ import annotations

import ast
import re

from .. import ir
from ..rules import registry
from .astutil import nodes
from .tuples import tuple_reduction
from .types import (
    BOOL,
    F64,
    INT,
    NONE,
    T,
    const_type,
    index_result,
    join,
    promote,
    result_of_call,
    scalar,
    type_of_value,
)


class IndexArrayInIndex(TypeError):
    """An index holds a part of an array that is itself an array."""

    def __init__(self, node, array=None, tuple_of=None, length=None):
        text = ast.unparse(node)
        if length is not None:
            super().__init__(f"the tuple '{text}' used as an index is supported as the whole "
                             f"index only (x[{text}], one integer per axis)")
        else:
            what = f"computed from the array '{array}'" if array else \
                f"a part of the array '{node.value.id}'"
            super().__init__(f"the index {text} reads an element of the tuple '{tuple_of}'"
                             if tuple_of else f"the index {text} is an array ({what})"
                             f": give it a name first (pos = {text}; then index with pos)")
        self.node = node
        self.length = length     # a tuple of that many integers used as an index


class TypeInference:
    def __init__(self, fn: ast.FunctionDef, arg_types: dict, info, callee_return=None):
        self.fn = fn
        self.env: dict[str, T] = dict(arg_types)
        self.info = info
        self.callee_return = callee_return   # f(pyfunc, [T]) -> T
        self.return_type: T | None = None
        # the names read (in program order, a loop's first pass) before anything
        # assigned them, and per name the ones of those its value was computed
        # from: a conflict that reads one comes from that read
        self.read_unbound: set = set()
        self.from_unbound: dict = {}

    def run(self) -> dict:
        for _ in range(3):  # loops: iterate until the types settle
            before = dict(self.env)
            self.block(self.fn.body)
            if before == self.env:
                break
        return self.env

    def unbound_reads(self, node) -> set:
        """The user's names read before assignment that ``node``'s value comes from."""
        value = getattr(node, "value", node)
        found = set()
        for n in nodes(value):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                if n.id in self.read_unbound and not n.id.startswith("_"):
                    found.add(n.id)
                found |= self.from_unbound.get(n.id, set())
        return found

    def set(self, name, t, node):
        origins = self.unbound_reads(node)
        if origins:
            self.from_unbound.setdefault(name, set()).update(origins)
        try:
            old = self.env.get(name)
            if old is not None and old.is_array and t.is_array and old.dtype != t.dtype and \
                    old.dtype.kind == t.dtype.kind == "f":
                # NumPy promotes (``w = w - lr * g`` makes a float32 ``w`` float64);
                # compiled code keeps one dtype per variable
                err = TypeError(f"a variable holds both {old} and {t}")
                err.types = (old, t)
                raise err
            self.env[name] = join(old, t)
        except TypeError as exc:
            value = getattr(node, "value", node)
            callees = {id(c.func) for c in nodes(value) if isinstance(c, ast.Call)} | \
                {id(a.value) for a in nodes(value) if isinstance(a, ast.Attribute)}
            unbound = sorted({n.id for n in nodes(value)
                              if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                              and id(n) not in callees and not n.id.startswith("_")
                              and n.id not in self.env} | origins)
            err = self.info.error(node, _conflict(name, exc, unbound))
            err.variable = name     # passes.versions may rename its rebindings
            raise err from None

    def block(self, stmts):
        for s in stmts:
            self.stmt(s)

    def stmt(self, s):
        kind = ir.KIND(s)
        if kind in (ir.Kind.ASSIGN, ir.Kind.ACCUMULATE):
            t = self.prim(s.value, s)
            self.set(s.targets[0].id, t, s)
            if kind == ir.Kind.ACCUMULATE and self.env[s.targets[0].id].is_array:
                # NumPy's += would write into an array other names may hold
                ir.ARRAY.set(s, True)
        elif kind == ir.Kind.UNPACK:
            t = self.prim(s.value, s)
            names = [e.id for e in s.targets[0].elts]
            if t.kind != "tuple" or len(t.elts) != len(names):
                raise self.info.error(s, f"cannot unpack {t} into {len(names)} names")
            for n, et in zip(names, t.elts):
                self.set(n, et, s)
        elif kind == ir.Kind.PUSH:   # tape.append(v) in generated code
            call = s.value
            self.set(call.func.value.id, T("list", elts=(self.atom(call.args[0]),)), s)
        elif kind in (ir.Kind.STORE, ir.Kind.AUGSTORE):
            target = s.targets[0] if kind == ir.Kind.STORE else s.target
            base = self.env.get(target.value.id)
            if base is None or not base.is_array:
                raise self.info.error(s, "subscript assignment needs an array")
            parts = target.slice.elts if isinstance(target.slice, ast.Tuple) else [target.slice]
            for p in parts:
                if not isinstance(p, (ast.Slice, ast.Constant)):
                    self.typed_index(p, s)
            if 2 <= len(parts) < base.ndim and any(
                    not isinstance(p, (ast.Slice, ast.Constant)) and self.inline(p).is_array
                    for p in parts):
                raise self.info.error(s, f"a write into '{target.value.id}' through index "
                                         f"arrays that leave axes unindexed (D[rows, cols] "
                                         f"= ... of a 3-d D) is not supported (reads are): "
                                         f"write the rows in a loop")
            value = self.atom(s.value)
            if ir.STACK_ROW(target) and (value.ndim if value.is_array else 0) != base.ndim - 1:
                raise self.info.error(s, "a list or tuple made into an array mixes arrays "
                                         "and numbers (or arrays of other numbers of "
                                         "dimensions): NumPy raises for items of different "
                                         "shapes; give every item one shape")
            if value.is_array and kind == ir.Kind.STORE and not self.many_items(base, target):
                x = target.value.id
                appended = isinstance(target.slice, ast.Name) and \
                    target.slice.id.startswith(f"{x}_count")      # (normalize's appends)
                raise self.info.error(s, "np.array([...]) of a comprehension takes numbers, "
                                         "not arrays: fill the rows of np.empty((n, m)) in a "
                                         "loop" if x.startswith("_items") else
                                         f"the list '{x}' appended to in a loop is made an "
                                         f"array of numbers: appending arrays to it is not "
                                         f"supported; fill the rows of an array made before "
                                         f"the loop ({x} = np.empty((n, m)); {x}[t] = ...)"
                                         if appended else
                                         f"an array cannot go into one element of '{x}'")
            basic = all(isinstance(p, (ast.Slice, ast.Constant)) or not self.inline(p).is_array
                        for p in parts)
            if value.is_array and kind == ir.Kind.AUGSTORE and isinstance(
                    s.op, (ast.Add, ast.Sub)) and basic:
                ir.INTO_VIEW.set(s, True)
            if value.is_array and kind == ir.Kind.STORE and basic and \
                    not (isinstance(target.slice, ast.Name) and
                         self.env.get(target.slice.id) is not None and
                         self.env[target.slice.id].is_array):
                ir.INTO_VIEW.set(s, True)
            mask = self.env.get(target.slice.id) if isinstance(target.slice, ast.Name) else None
            if mask is not None and mask.is_array and mask.dtype.kind == "b" and mask.ndim > 1 \
                    and (value.is_array or mask.ndim != base.ndim):
                # (reads are flattened and a number written is a np.where, passes/masks.py;
                # Numba indexes with 1-d masks only)
                x = target.value.id
                raise self.info.error(s, f"a write through a boolean mask of {mask.ndim} "
                                         f"dimensions into '{x}' is not supported (masks of "
                                         f"1-d arrays are): write {x} = np.where(mask, "
                                         f"new value, {x}), e.g. np.maximum({x}, 0.0) for "
                                         f"{x}[{x} < 0] = 0")
        elif isinstance(s, ast.If):
            self.block(s.body)
            self.block(s.orelse)
        elif isinstance(s, ast.For):
            for seq, node in ir.ITERATES(s) or ():      # for v in x
                t = self.env.get(seq, NONE)
                if t.kind != "tuple" and not (t.is_array and t.ndim >= 1):
                    raise self.info.error(node, f"can only loop over range(...), an array or "
                                                f"a tuple, not over {t} '{ast.unparse(node)}'")
            if isinstance(s.iter, ast.Call) and isinstance(s.iter.func, ast.Name) and \
                    s.iter.func.id == "range":
                for a in s.iter.args:
                    if self.atom(a).kind not in ("int", "bool"):
                        # (Python raises TypeError; compiled code would truncate)
                        what = ast.unparse(a)
                        what = "" if what.startswith("_") else f" '{what}'"   # (a temporary)
                        raise self.info.error(s, f"range() takes ints, not {self.atom(a)}"
                                                 f"{what}: int(...) the bound, or loop over "
                                                 "an int count")
            self.set(s.target.id, INT, s)
            self.block(s.body)
        elif isinstance(s, ast.While):
            self.block(s.body)
        elif isinstance(s, ast.Return):
            t = self.atom(s.value)
            self.return_type = t if self.return_type is None else join(self.return_type, t)

    def atom(self, a) -> T:
        if isinstance(a, ast.Constant):
            return const_type(a.value)
        if isinstance(a, ast.Name):
            if a.id not in self.env:
                self.read_unbound.add(a.id)
                return NONE
            return self.env[a.id]
        return self.inline(a)

    def inline(self, e) -> T:
        """Types inside inline index expressions: integers, or a name's type.
        An element read inside one (``x[idx[k]]``) must be an integer: a row
        (``x[idx2d[0]]``) is an index array, which gets a name of its own
        (``IndexArrayInIndex``; passes/index_names.py) before types are inferred
        again."""
        if isinstance(e, ast.Name):
            t = self.env.get(e.id, INT)
            if t.kind == "tuple" and t.elts and all(
                    x.kind in ("int", "bool") or x.is_array and x.dtype.kind in "iu"
                    and x.ndim == 1 for x in t.elts):
                # K[ij] with ij = (0, 1) is K[0, 1]: one index per axis, as NumPy reads
                # it (ij = np.triu_indices(n): K[rows, cols])
                raise IndexArrayInIndex(e, tuple_of=e.id, length=len(t.elts))
            return t
        for n in nodes(e):
            if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and \
                    self.env.get(n.value.id) is not None and self.env[n.value.id].is_array and \
                    index_result(self.env[n.value.id], n.slice, self.inline).is_array:
                raise IndexArrayInIndex(n)
            if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and \
                    self.env.get(n.value.id, NONE).kind == "tuple":
                # an element of a local tuple (dofs[1]): named, it is a value of its own
                # (passes/tuples.py), not a whole tuple the reverse sweep would tape
                raise IndexArrayInIndex(n, tuple_of=n.value.id)
        array = self.array_operand(e)
        if array is not None:
            raise IndexArrayInIndex(e, array)      # idx + 1
        return INT

    def array_operand(self, e):
        """The array name an arithmetic index expression computes with, if any."""
        if isinstance(e, ast.Name):
            return e.id if self.env.get(e.id, INT).is_array else None
        if isinstance(e, ast.BinOp):
            return self.array_operand(e.left) or self.array_operand(e.right)
        if isinstance(e, ast.UnaryOp):
            return self.array_operand(e.operand)
        return None

    def many_items(self, base, target) -> bool:
        """``base[index]`` (a write's target) is more than one element (forms the
        read rules refuse, ``Y[:, idx]``, count as many)."""
        try:
            return index_result(base, target.slice, self.atom).is_array
        except TypeError:
            return True

    def typed_index(self, part, stmt) -> T:
        try:
            return self.inline(part)
        except TypeError as exc:
            raise self.index_error(stmt, exc) from None

    def index_error(self, stmt, exc):
        err = self.info.error(stmt, str(exc))
        err.index_array = getattr(exc, "node", None)
        err.tuple_length = getattr(exc, "length", None)
        if getattr(exc, "scalar", False) and ir.PRIM(stmt.value, ("",))[0] == "subscript" \
                and isinstance(stmt.value.value, ast.Name):
            err.indexed_number = stmt.value.value.id
        return err

    def prim(self, p, stmt) -> T:
        key = ir.PRIM(p)
        try:
            return self._prim(p, key)
        except TypeError as exc:
            unbound = self.unbound_reads(stmt)
            if unbound:
                exc = TypeError(_conflict("", exc, sorted(unbound)))
            raise self.index_error(stmt, exc) from None

    def _prim(self, p, key) -> T:
        head = key[0]
        if head == "const":
            return const_type(p.value)
        if head == "copy":
            t = self.atom(p)
            if t is NONE:
                raise TypeError(f"'{p.id}' is used before it is assigned")
            return t
        if head == "global":
            return type_of_value(self.info_globals[p.id])
        if head == "dtype":
            return T("dtype", key[1])
        if head == "binop":
            return self.result(key[1], [self.atom(p.left), self.atom(p.right)])
        if head == "unary":
            t = self.atom(p.operand)
            return BOOL if key[1] == "Not" else self.result(key[1], [t])
        if head == "compare":
            return self.result("compare", [self.atom(p.left), self.atom(p.comparators[0])])
        if head == "subscript":
            base = self.atom(p.value)
            if base.is_array and isinstance(p.slice, ast.Name):
                self.inline(p.slice)        # (a tuple of integers: one index per axis)
            return index_result(base, p.slice, self.atom)
        if head == "attr":
            return self.result(key[1], [self.atom(p.value)])
        if head == "method":
            name = "copy_method" if key[1] == "copy" else key[1]
            args = [self.atom(p.func.value)] + [self.atom(a) for a in p.args]
            kw = {k.arg: self.kwtype(k.value) for k in p.keywords}
            return self.result(name, args, kw)
        if head == "tuple":
            return T("tuple", elts=tuple(self.atom(e) for e in p.elts))
        if head == "list":
            return T("list")
        if head == "call":
            args = [self.atom(a) for a in p.args]
            kw = {k.arg: self.kwtype(k.value) for k in p.keywords}
            if any(a.kind == "tuple" for a in args) and tuple_reduction(p):
                return reduction_of_tuple(tuple_reduction(p), args[0])
            prim = registry.get_primitive(key[1])
            if prim is not None and prim.result_type is None and prim.rules and \
                    prim.rules[0].call is not None:
                # a user's rule: the type its primitive returns, else NumPy's
                # elementwise result
                return result_of_call(prim.callable, args) or promote(*args)
            consts = {k: a.value for k, a in enumerate(p.args) if isinstance(a, ast.Constant)}
            return self.result(key[1], args, kw, consts)
        if head == "user":
            args = [self.atom(a) for a in p.args]
            t, name = self.callee_return(key[1], args, ir.INPLACE(p))
            p.func.id = name
            return t
        raise TypeError(f"unknown primitive {key}")

    def kwtype(self, v):
        if ir.PRIM.has(v) and ir.PRIM(v)[0] == "dtype":
            return T("dtype", ir.PRIM(v)[1])
        return self.atom(v)

    def result(self, key, args, kw=None, consts=None):
        """The type of ``key`` applied to ``args``; ``consts``: the positional
        arguments written as constants, by position (an int a type depends on)."""
        prim = registry.get_primitive(key)
        if prim is None or prim.result_type is None:
            raise TypeError(f"no type rule for {key}")
        consts = consts or {}
        try:
            return prim.result_type(args, kw or {}, consts)
        except (AttributeError, IndexError, KeyError):
            # a type rule that did not expect these operands
            what = ", ".join(str(a) for a in args)
            raise TypeError(f"'{_display(key)}' cannot be applied to ({what})") from None


def _display(key) -> str:
    if isinstance(key, str):
        return key
    from .resolve import canonical_name
    return canonical_name(key) or getattr(key, "__name__", repr(key))


def reduction_of_tuple(how: str, t: T) -> T:
    """The type of ``np.sum(x)`` / ``np.mean(x)`` of a tuple ``x`` (of scalars,
    or of arrays of one rank), reduced over all its elements."""
    elts = t.elts
    if elts and all(e.is_scalar for e in elts):
        r = promote(*elts)
    elif elts and all(e.is_array for e in elts) and len({e.ndim for e in elts}) == 1:
        r = scalar(promote(*elts).dtype)
    else:
        raise TypeError(f"np.{how} of a tuple needs scalars or arrays of one shape, not {t}")
    if how == "mean" and r.kind != "float":
        return F64
    return r


def infer_types(fn, arg_types, info, callee_return, globals_used) -> tuple[dict, T]:
    ti = TypeInference(fn, arg_types, info, callee_return)
    ti.info_globals = globals_used
    env = ti.run()
    return env, ti.return_type


def value_type(fn, env, info, callee_return, globals_used):
    """``f(s)``: the type of the value assignment ``s`` of ``fn`` computes, by
    itself (not joined with the other values of its name), under ``env``;
    None where it cannot be told."""
    ti = TypeInference(fn, env, info, callee_return)
    ti.info_globals = globals_used

    def of(s):
        try:
            return ti._prim(s.value, ir.PRIM(s.value))
        except (TypeError, KeyError):
            return None
    return of


def _conflict(name: str, exc: TypeError, unbound=()) -> str:
    """The message of a name bound to values of two types, naming what the user
    wrote (``unbound``: the user's names the binding reads that nothing has
    assigned yet): the normalizer's accumulator of ``sum(...)`` of a comprehension
    (``_sum2``) is the sum itself."""
    if re.fullmatch(r"_retval\d+", name):
        # the function's returns, gathered into one variable by the normalizer
        return (f"the function returns values of different types ({exc.args[0].split('both ')[-1]}"
                ") on different paths: compiled code returns one type; return the same "
                "kind of value (a number, or arrays of one dimension) everywhere")
    if re.fullmatch(r"_sum\d+", name):
        return ("sum(...) of a comprehension whose items are arrays: its start, 0.0, is "
                "a number (here the sum would hold both); give it an array start, "
                "sum(..., np.zeros(n)), or add the items in a loop")
    types = getattr(exc, "types", ())
    if any(t.kind == "none" for t in types) or unbound:
        # a name read before any assignment reaches it (``if it > 0 and abs(dz) < tol:
        # break`` before ``dz = ...`` in a loop's body)
        read = ", ".join(f"'{n}'" for n in unbound) or "a variable"
        return (f"{read} may be read here before it is first assigned (on some path, such "
                f"as a loop's first iteration): assign it a value before the loop (compiled "
                f"code needs every variable bound on every path)")
    if len(types) == 2 and types[0].kind in ("float", "int") and types[1].is_array \
            and not name.startswith("_"):
        # ``h = 0`` before a loop doing ``h = h + W[k] * x[k]``: NumPy makes it an
        # array on the first iteration; compiled code keeps one type per variable
        array_type = types[1]
        return (f"'{name}': {exc}: start it as the array it becomes, e.g. "
                f"{name} = np.zeros({'n' if array_type.ndim == 1 else '(n, m)'}) "
                f"(compiled code keeps one type per variable)")
    if len(types) == 2 and types[1].kind in ("float", "int") and types[0].is_array:
        # ``y = x * c if c > 0 else 0.0`` (the conditional's value is a temporary of
        # the normalizer), or ``y = 0.0`` in the other branch of an ``if``
        what = "this expression" if name.startswith("_") else f"'{name}'"
        return (f"{what} holds an array ({types[0]}) on one path and a number "
                f"({types[1]}) on another: compiled code keeps one type per variable; "
                "use another name for the number, or give it an array on every path "
                "(np.zeros_like(...) or np.full(shape, value) for the number)")
    if len(types) == 2 and all(t.is_array for t in types) and not name.startswith("_"):
        wide = max(types, key=lambda t: t.dtype.itemsize)
        return (f"'{name}': {exc}: NumPy promotes it to {wide.dtype} here; compiled code "
                f"keeps one dtype per variable: give it {wide.dtype} values from its first "
                f"assignment (e.g. .astype(np.{wide.dtype})), or keep every value "
                f"{min(types, key=lambda t: t.dtype.itemsize).dtype}")
    return f"'{name}': {exc}"
