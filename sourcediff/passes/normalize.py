"""Normalize a function to one primitive operation per statement.

After this pass a function body holds only these statements (each carries
``ir.LINE``, the user's source line it came from, and ``ir.KIND``):

* ``z = <prim>`` where ``<prim>`` is one operation on atoms (names and
  constants): a copy, a binary/unary operator, a comparison, a call, a
  subscript read, an attribute (``x.T``), a tuple.  ``z = z + a`` is kept
  as an accumulation (``ir.Kind.ACCUMULATE``).
* ``a[idx] = atom`` and ``a[idx] += atom`` on an array name.
* ``if name:`` / ``if not name:`` with normalized branches.
* ``for i in range(...)`` and ``while True`` loops whose jumps (``break``,
  ``continue``, ``return``) have been turned into flags, plus the real
  ``if <exit>: break`` that ends the forward loop.
* one final ``return atom``.

Index expressions (``x[i + 1]``) and ``range`` bounds stay inline when they
are plain integer arithmetic: the reverse sweep re-evaluates them instead of
taping them.  Anything outside the subset raises ``TransformError`` here.
"""
from __future__ import annotations

import ast
import builtins
import copy
import itertools
import math

import numpy as np

from .. import ir
from ..errors import SourceInfo, TransformError
from ..frontend.source import FunctionSource
from ..names import Namer
from ..runtime.array_helpers import grown, item_of, leading_axes, unflatten_contraction
from ..runtime.declare import helper_of
from ..runtime.helpers import (
    add_into,
    add_ties_shared,
    append_flat,
    as_vector,
    check_assertion,
    column_stack2,
    copy_into,
    eigh_values,
    eigh_vectors,
    empty_grid,
    empty_rows,
    empty_stack,
    first_axis_last,
    hstack2,
    keep_all_dims,
    logabsdet,
    pad_constant,
    searchsorted_right,
    slogdet_sign,
    store_row,
    sub_into,
    ties_shared,
    transpose_axes,
    vstack2,
)
from .astutil import binding_targets, free_names, nodes, own_jumps, stored_names, walk
from .astutil import name as _name
from .differences import integer_constant
from .differences import terms as difference_terms
from .local_functions import lift_local_functions
from .numpy_templates import HELPERS as TEMPLATE_HELPERS
from .numpy_templates import Refused, template_for
from .resolve import MISSING, bind_call, canonical_name, is_module, resolve
from .static_args import is_static_constant, static_truth, without_flag_tests

UNSUPPORTED_STATEMENTS = {
    ast.Try: "'try' statements", ast.With: "'with' statements",
    ast.AsyncWith: "'async with'", ast.AsyncFor: "'async for'",
    ast.FunctionDef: "nested function definitions", ast.AsyncFunctionDef: "nested functions",
    ast.ClassDef: "class definitions", ast.Global: "'global'", ast.Nonlocal: "'nonlocal'",
    ast.Delete: "'del'", ast.Import: "'import' inside a function",
    ast.ImportFrom: "'import' inside a function", ast.Raise: "'raise'",
    ast.Match: "'match' statements",
}
# methods that change the object they are called on: a print or an assert
# calling one is not left out (the change would be lost)
_MUTATING_METHODS = {"append", "extend", "insert", "pop", "remove", "clear", "fill", "sort",
                     "put", "itemset", "resize", "setflags", "update", "setdefault"}
_WARNED_PRINTS: set = set()     # (file, line) of the prints already reported
if hasattr(ast, "TryStar"):
    UNSUPPORTED_STATEMENTS[ast.TryStar] = "'try' statements"

UNSUPPORTED_EXPRESSIONS = {
    ast.Yield: "'yield'", ast.YieldFrom: "'yield from'", ast.Await: "'await'",
    ast.Lambda: "'lambda'", ast.ListComp: "list comprehensions",
    ast.SetComp: "set comprehensions",
    ast.DictComp: "dict comprehensions (dicts are not supported)",
    ast.GeneratorExp: "generator expressions", ast.Dict: "dict literals (dicts are not supported)",
    ast.Set: "set literals", ast.JoinedStr: "f-strings", ast.NamedExpr: "':='",
    ast.Starred: "starred expressions",
    ast.List: "list literals (for values made in a loop: fill an array made before it, "
              "vals = np.empty(n); vals[i] = ..., or write np.array([... for v in x]))",
}
UNSUPPORTED_TYPES = tuple(UNSUPPORTED_EXPRESSIONS)

# array methods and the primitive they become
ARRAY_METHODS_TO_NUMPY = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max,
                          "min": np.min, "dot": np.dot, "transpose": np.transpose,
                          "var": np.var, "std": np.std, "swapaxes": np.swapaxes}
# x.cumsum(axis) is np.cumsum(x, axis), ... (rules/arrayfuncs.py)
ARRAY_METHODS_TO_NUMPY.update({"cumsum": np.cumsum, "cumprod": np.cumprod, "squeeze": np.squeeze,
                               "trace": np.trace, "diagonal": np.diagonal, "repeat": np.repeat,
                               "clip": np.clip, "any": np.any, "all": np.all,
                               "argmax": np.argmax, "argmin": np.argmin, "take": np.take})
ARRAY_METHODS = {"reshape", "copy", "astype", "ravel", "flatten"}
ARRAY_ATTRIBUTES = {"T", "shape", "size", "ndim"}
DICT_METHODS = {"get", "items", "keys", "values", "setdefault", "update", "pop"}
CONTAINERS = {dict: "dicts", set: "sets", frozenset: "sets", list: "lists"}
INT_BUILTINS = {len, int, min, max, abs}
# calls that take a comprehension: sum(x[i] ** 2 for i in range(n)), np.array([...])
# (not math.fsum: its exact sum is not a loop of additions)
COMPREHENSION_CALLS = (sum, np.sum, np.mean, max, min, np.max, np.min, np.array)
# the first value of the running result, and how each item joins it
_RUNNING = {id(max): ("-inf", "max"), id(min): ("inf", "min")}
NUMPY = "__sourcediff_numpy__"
GROWN = "__sourcediff_grown__"     # (runtime.array_helpers.grown: a while loop's appends)



# array methods that change their array in place, and what to write instead
_IN_PLACE_METHODS = {
    "sort": "'{x} = np.sort({x})'",
    "partition": "'{x} = np.partition({x}, k)'",
    "resize": "'{x} = np.resize({x}, shape)' (a new array)",
    "put": "'{x}[indices] = values'",
    "itemset": "'{x}[index] = value'",
    "byteswap": "a copy: '{x} = {x}.byteswap()'",
    "setflags": "nothing: flags do not change values",
}


def _is_grid(items) -> bool:
    """A list of equally long lists of non-lists (``[[a, b], [c, d]]``)."""
    rows = items.elts
    return all(isinstance(r, (ast.List, ast.Tuple)) and r.elts for r in rows) \
        and len({len(r.elts) for r in rows}) == 1 \
        and not any(isinstance(v, (ast.List, ast.Tuple, ast.Starred)) for r in rows
                    for v in r.elts)

class _Loop:
    """Book-keeping for one loop while its jumps are lowered."""

    def __init__(self, index: int, is_while: bool):
        self.skip = f"_skip{index}"
        self.exit = f"_exit{index}"
        self.count = f"_n{index}"
        self.is_while = is_while
        self.uses_skip = False
        self.uses_exit = False


class Normalizer:
    """Turns a user ``FunctionDef`` into the normalized form described above."""

    def __init__(self, src: FunctionSource, void_ok: bool = False, values_unknown=False,
                 checks=True):
        src = lift_local_functions(src)
        self.src = src
        self.void_ok = void_ok      # a callee run for its writes into argument arrays
        # asserts kept as checks (``check_assert``); off where the code cannot raise
        self.checks = checks
        # a check before the arguments are known: a test on a string or None
        # parameter (``mode == "sum"``, passes/static_args.py) may go either way
        self.values_unknown = values_unknown
        self.info: SourceInfo = src.info
        # (the loops comprehensions become call NumPy by a name no user module has)
        self.namespace = {**src.namespace, NUMPY: np, GROWN: grown,
                          **{_template_helper(k): v for k, v in TEMPLATE_HELPERS.items()}}
        self.params = src.params
        self.locals = set(self.params) | stored_names(src.tree)
        self.used_names = self.locals | {n.id for n in nodes(src.tree)
                                         if isinstance(n, ast.Name)}
        self.namer = Namer(self.used_names)    # _t1, _c2, ... one counter for all hints
        self.loop_counter = 0
        self._outer_names = None
        self.sequences: dict = {}     # name -> the expression a loop runs over
        self.per_item_values: set = set()   # np.add.at's values, read v[k] per item
        self.line = src.tree.lineno
        self.globals_used: dict[str, object] = {}   # name in generated code -> object
        self.user_calls: dict[str, object] = {}       # callee name -> python function
        # generated code (an adjoint transformed again) keeps its tapes: Python
        # lists created empty, appended to and popped from
        self.tapes = getattr(src.func, "__sourcediff_generated__", False)
        self.lists = {t.id for n in nodes(src.tree) if isinstance(n, ast.Assign)
                      and isinstance(n.value, ast.List) and not n.value.elts
                      for t in n.targets if isinstance(t, ast.Name)} if self.tapes else set()
        # expressions checked whole and holding no unsupported form at all: they and
        # every part of them pass check_expr (which meets each part again as the
        # expression is split into primitives); id -> node, which keeps the node,
        # and so its id, alive
        self.clean: dict = {}
        self._sites = None            # name -> where it is bound (binding_sites)

    # -- helpers ---------------------------------------------------------
    def error(self, node, message):
        return self.info.error(node, message)

    def temp(self, hint="t") -> str:
        name = self.namer.counted(f"_{hint}")
        self.locals.add(name)
        return name

    def emit(self, out, stmt, kind=ir.Kind.ASSIGN):
        ir.tag(stmt, self.line, kind)
        out.append(stmt)
        return stmt

    def assign(self, out, target: str, value, kind=ir.Kind.ASSIGN):
        stmt = ast.Assign(targets=[_name(target, True)], value=value)
        return self.emit(out, stmt, kind)

    # -- entry -----------------------------------------------------------
    def run(self) -> ast.FunctionDef:
        tree = self.src.tree
        body = list(tree.body)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]  # docstring
        for d in tree.args.defaults:
            self.check_expr(d)
        out: list = []
        self.block(body, out)
        out = JumpLowering(self).lower_function(out, tree)
        out = self.snapshot_tests(out)
        _fill_lines(out, tree.lineno)
        new = ast.FunctionDef(name=tree.name, args=tree.args, body=out, decorator_list=[],
                              returns=None, type_comment=None, type_params=[])
        ir.LINE.set(new, tree.lineno)
        ir.GENERATED.set(new, self.tapes)     # generated code: its array += are in place
        ast.fix_missing_locations(new)
        return new

    def block(self, stmts, out):
        for s in self.appended_lists(stmts):
            self.statement(s, out)

    def appended_lists(self, stmts) -> list:
        """``xs = []``, then a ``for`` loop whose body (not a loop nested in it)
        appends to ``xs`` and reads it nowhere else, then reads of ``xs`` after the
        loop: an array of one element per iteration made before the loop, filled by
        a count of the appends, and cut to that count after it (``xs = np.empty(n)``,
        ``xs[xs_count] = v``, ``xs_count += 1``, ``xs = xs[:xs_count]``): the array
        ``np.array(xs)`` makes.  Items computed from the loop's counter and integer
        constants are integers, as NumPy makes them; others are floats."""
        if self.tapes:
            return stmts
        while True:          # (until no list is left to rewrite: two lists in one loop)
            new = self.appended_lists_once(stmts)
            if len(new) == len(stmts) and all(a is b for a, b in zip(new, stmts)):
                return new
            stmts = new

    def appended_lists_once(self, stmts) -> list:
        """One pass of :meth:`appended_lists` over ``stmts``; a list appended to in a
        way it does not cover is a located error saying what is covered."""
        out, skip = [], set()
        for k, s in enumerate(stmts):
            if k in skip:
                continue
            xs = _empty_list(s)
            later = [j for j in range(k + 1, len(stmts)) if xs in free_names(stmts[j])] \
                if xs is not None else []
            loop = stmts[later[0]] if later else None
            appended = _appends_only(loop, xs) if isinstance(loop, (ast.For, ast.While)) \
                else None
            if not appended or any(_appends(stmts[j], xs) for j in later[1:]):
                if xs is not None and any(_appends(stmts[j], xs) for j in later):
                    raise self.error(s, _uncovered_appends(xs, [stmts[j] for j in later]))
                out.append(s)
                continue
            count = self.namer.fresh(f"{xs}_count")
            out.extend(stmts[k + 1:later[0]])
            out.extend(self.filled_by_count(s, loop, xs, appended, count))
            skip.update(range(k + 1, later[0] + 1))
        return out

    def filled_by_count(self, start, loop, xs, appended, count) -> list:
        """The statements of :meth:`appended_lists` for ``start`` (``xs = []``) and
        ``loop`` (``appended``: its appends, ``count``: the name that counts them)."""
        items = [a.value.args[0] for a in appended]
        if isinstance(loop, ast.While):
            # (no count of iterations before a while loop: room for 16, doubled when full)
            empty = self.empty_items(None, items, room=16)
        else:
            empty = self.empty_items(loop, items)
        where = {"lineno": start.lineno, "col_offset": start.col_offset}
        made = [ast.Assign(targets=[_name(xs, True)], value=empty, **where),
                ast.Assign(targets=[_name(count, True)], value=ast.Constant(0), **where)]
        stores = {id(a): [
            *([ast.copy_location(_grown_when_full(xs, count), a)]
              if isinstance(loop, ast.While) else []),
            ast.copy_location(ast.Assign(targets=[ast.Subscript(
                value=_name(xs), slice=_name(count), ctx=ast.Store())],
                value=a.value.args[0]), a),
            ast.copy_location(ast.AugAssign(target=_name(count, True), op=ast.Add(),
                                            value=ast.Constant(1)), a)] for a in appended}
        new_loop = _with_replaced(loop, stores)
        cut = ast.copy_location(ast.Assign(targets=[_name(xs, True)], value=ast.Subscript(
            value=_name(xs), slice=ast.Slice(upper=_name(count)), ctx=ast.Load())), loop)
        self.locals |= {count}
        return [ast.fix_missing_locations(x) for x in (*made, new_loop, cut)]

    def snapshot_tests(self, stmts):
        """An ``if`` whose branches reassign a name in its test tests a copy
        instead, so the reverse sweep can replay the branch that was taken."""
        out = []
        for s in stmts:
            for field in ("body", "orelse"):
                if getattr(s, field, None):
                    setattr(s, field, self.snapshot_tests(getattr(s, field)))
            if isinstance(s, ast.If) and not ir.CONTROL_ONLY(s):
                written = _assigned_names_in(s.body) | _assigned_names_in(s.orelse)
                if free_names(s.test) & written:
                    self.line = ir.LINE(s, self.line)
                    t = self.temp("c")
                    value = s.test
                    prim = ("unary", "Not") if isinstance(value, ast.UnaryOp) else ("copy",)
                    snap = ast.Assign(targets=[_name(t, True)], value=ir.mark(value, prim))
                    ir.tag(snap, ir.LINE(s, self.line), ir.Kind.ASSIGN)
                    out.append(snap)
                    s.test = _name(t)
            out.append(s)
        return out

    # -- statements ------------------------------------------------------
    def statement(self, s, out):
        self.line = s.lineno
        for bad, what in UNSUPPORTED_STATEMENTS.items():
            if isinstance(s, bad):
                raise self.error(s, f"cannot differentiate through {what}")
        if isinstance(s, ast.Assign):
            self.assign_stmt(s, out)
        elif isinstance(s, ast.AugAssign):
            self.augassign_stmt(s, out)
        elif isinstance(s, ast.AnnAssign):
            if s.value is None:
                return
            self.assign_stmt(ast.Assign(targets=[s.target], value=s.value, lineno=s.lineno,
                                        col_offset=s.col_offset), out)
        elif isinstance(s, ast.If):
            truth = static_truth(s.test)
            if truth is not None:
                # a string or None, in place of a parameter or a helper's argument
                self.block(s.body if truth else s.orelse, out)
                return
            if self.values_unknown:
                s = ast.copy_location(ast.If(test=without_flag_tests(s.test, self.params),
                                             body=s.body, orelse=s.orelse), s)
            test = self.test_atom(s.test, out)
            then, orelse = [], []
            self.block(s.body, then)
            self.block(s.orelse, orelse)
            self.line = s.lineno
            node = ast.If(test=test, body=then or [ast.Pass()], orelse=orelse)
            self.emit(out, node, ir.Kind.IF)
        elif isinstance(s, ast.For):
            self.for_stmt(_skips_as_branches(s), out)
        elif isinstance(s, ast.While):
            self.while_stmt(_skips_as_branches(s), out)
        elif isinstance(s, (ast.Break, ast.Continue)):
            self.emit(out, type(s)(), ir.Kind.JUMP)
        elif isinstance(s, ast.Return):
            if s.value is None:
                if not self.void_ok:
                    raise self.error(s, "the function must return a value to differentiate")
                s = ast.Return(value=ast.Constant(0.0), lineno=s.lineno, col_offset=s.col_offset)
            value = self.atom(s.value, out)
            self.emit(out, ast.Return(value=value), ir.Kind.RETURN)
        elif isinstance(s, ast.Pass):
            return
        elif isinstance(s, ast.Assert):
            self.check_assert(s, out)
        elif isinstance(s, ast.Expr):
            if isinstance(s.value, ast.Constant):
                return  # a stray string or number: no effect
            if self.is_print(s.value):
                self.drop_print(s)
                return
            self.check_expr(s.value)
            if isinstance(s.value, ast.Call) and self.tape_push(s.value, out):
                return
            if isinstance(s.value, ast.Call) and self.helper_statement(s, out):
                return
            if isinstance(s.value, ast.Call) and self.ufunc_at(s, out):
                return
            if isinstance(s.value, ast.Call) and self.into_out(s, out):
                return
            if isinstance(s.value, ast.Call) and self.inplace_call(s.value, out):
                return
            if self.array_method_statement(s, out):
                return
            if isinstance(s.value, ast.Call) and _draws_random(
                    resolve(s.value.func, self.namespace, self.locals), ast.unparse(s.value.func)):
                raise self.error(s, f"'{ast.unparse(s.value)}': a differentiated function "
                                    f"cannot seed or draw random numbers (its gradient would "
                                    f"see other numbers than its value); draw them before the "
                                    f"call and pass them in as an argument (an array of draws)")
            raise self.error(s, f"'{ast.unparse(s.value)}': a call whose result is not used "
                                f"is not supported (one that changes an array in place: "
                                f"assign into the array instead, x[:] = ...)")
        else:
            raise self.error(s, f"cannot differentiate through '{type(s).__name__}' statements")

    def array_method_statement(self, s, out) -> bool:
        """``x.fill(v)`` and ``np.copyto(x, v)`` are ``x[:] = v``; another method
        that changes its array in place (``y.sort()``) is refused naming it and
        what to write instead."""
        call = s.value
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and
                isinstance(call.func.value, ast.Name)):
            return False
        if resolve(call.func, self.namespace, self.locals) is np.copyto and \
                len(call.args) == 2 and not call.keywords and isinstance(call.args[0], ast.Name):
            # np.copyto(u, v) is u[:] = v (v broadcast into u alike)
            store = ast.Assign(targets=[ast.Subscript(
                value=ast.Name(id=call.args[0].id, ctx=ast.Load()), slice=ast.Slice(),
                ctx=ast.Store())], value=call.args[1], lineno=s.lineno, col_offset=s.col_offset)
            self.statement(store, out)
            return True
        x, method = call.func.value.id, call.func.attr
        if method == "fill" and len(call.args) == 1 and not call.keywords:
            store = ast.Assign(targets=[ast.Subscript(
                value=ast.Name(id=x, ctx=ast.Load()), slice=ast.Slice(), ctx=ast.Store())],
                value=call.args[0], lineno=s.lineno, col_offset=s.col_offset)
            self.statement(store, out)
            return True
        instead = _IN_PLACE_METHODS.get(method)
        if instead is None:
            return False
        raise self.error(s, f"'{ast.unparse(call)}' changes '{x}' in place, which is not "
                            f"supported: write {instead.format(x=x)}")

    def is_print(self, e) -> bool:
        return isinstance(e, ast.Call) and \
            resolve(e.func, self.namespace, self.locals) is builtins.print

    def drop_print(self, s):
        """``print(...)`` is left out of the transformed code (it changes no
        value), and said so once per line: the prints show when the user's own
        function runs, not the generated one."""
        self.check_no_effects(s, s.value.args + [k.value for k in s.value.keywords],
                              "print(...)")
        if isinstance(ir.LINE(s) or s.lineno, ir.InlinedLine):
            return      # (said when the helper's own code was examined)
        err = self.error(s, f"print(...) is left out of the transformed code of "
                            f"'{self.src.name}' (it changes no value; call "
                            f"'{self.src.name}' itself to see what it prints)")
        where = (err.filename, err.lineno)
        if where not in _WARNED_PRINTS:
            _WARNED_PRINTS.add(where)
            import warnings
            warnings.warn_explicit(err.message, UserWarning, err.filename, err.lineno)

    def check_assert(self, s, out):
        """``assert test, message``: ``_ok = check_assertion(test, message)``, an
        AssertionError where the function runs, as the primal raises it (a
        gradient is not returned for arguments the function refuses).  The
        message is the user's string, else the test's source.  A test outside
        the subset (``assert x.dtype == np.float64``) is left out, as under
        ``python -O``."""
        self.check_no_effects(s, [s.test, s.msg], "'assert'")
        if not self.checks:
            return
        scratch: list = []
        try:
            test = self.atom(s.test, scratch)
        except TransformError:
            try:                        # a literal (``assert {}``): its truth now
                test = ast.Constant(bool(ast.literal_eval(s.test)))
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return
            scratch = []
        if isinstance(test, ast.Constant) and test.value:
            return                      # (``assert True``)
        out.extend(scratch)
        message = s.msg.value if isinstance(s.msg, ast.Constant) and \
            isinstance(s.msg.value, str) else ast.unparse(s.test)
        call = ast.Call(func=_name(check_assertion.__name__), args=[test, ast.Constant(message)],
                        keywords=[])
        self.assign(out, self.temp("ok"), ir.mark(call, ("call", check_assertion)))

    def check_no_effects(self, s, exprs, what):
        """``what`` is left out: refused when its expressions change a value
        (a helper that writes into its arguments, a method like ``append``,
        ``:=``), which leaving it out would lose."""
        from ..rules import registry
        for e in exprs:
            for n in nodes(e) if e is not None else ():
                if isinstance(n, ast.NamedExpr):
                    raise self.error(s, f"{what} with ':=' is not supported: bind the "
                                        f"value on a line of its own")
                if not isinstance(n, ast.Call):
                    continue
                fn = resolve(n.func, self.namespace, self.locals)
                if registry.is_user_function(fn) or (
                        isinstance(n.func, ast.Attribute) and n.func.attr in _MUTATING_METHODS):
                    raise self.error(s, f"{what} is left out of the transformed code, but "
                                        f"it calls '{ast.unparse(n.func)}', which may "
                                        f"change values: call it on a line of its own")

    def into_out(self, s, out) -> bool:
        """A ufunc's result written into an array, ``np.multiply(a, b, out=y)``
        (or ``out=(y,)``, or ``y`` after the inputs), is ``y[:] = np.multiply(a,
        b)``; with ``where=m``, ``y[:] = np.where(m, np.multiply(a, b), y)``.
        ``np.copyto(y, v, where=m)`` alike.  ``y`` is the user's array variable."""
        call = s.value
        fn = resolve(call.func, self.namespace, self.locals)
        keywords = {k.arg: k.value for k in call.keywords}
        if fn is np.copyto and len(call.args) == 2 and set(keywords) == {"where"}:
            args, target, value = call.args, call.args[0], call.args[1]
        elif isinstance(fn, np.ufunc) and fn.nout == 1 and (
                "out" in keywords or len(call.args) == fn.nin + 1):
            args = call.args[:fn.nin]
            target = keywords.pop("out", None) or call.args[-1]
            if isinstance(target, ast.Tuple) and len(target.elts) == 1:
                target = target.elts[0]
            value = ast.Call(func=call.func, args=args, keywords=[
                ast.keyword(arg=k, value=v) for k, v in keywords.items() if k != "where"])
        else:
            return False
        text = ast.unparse(call)
        base = target.value if isinstance(target, ast.Subscript) else target
        if not (isinstance(base, ast.Name) and base.id in self.locals):
            raise self.error(s, f"'{text}': the array written into must be an array "
                                f"variable of the function, or part of one (y, y[i])")
        if "where" in keywords:
            value = ast.Call(func=ast.Attribute(value=_name("np"), attr="where", ctx=ast.Load()),
                             args=[keywords["where"], value, copy.deepcopy(target)], keywords=[])
        into = ast.Subscript(value=copy.deepcopy(base), slice=ast.Slice(), ctx=ast.Store()) \
            if target is base else ast.Subscript(value=copy.deepcopy(base),
                                                 slice=copy.deepcopy(target.slice), ctx=ast.Store())
        store = ast.Assign(targets=[into], value=ast.copy_location(value, call),
                           lineno=s.lineno, col_offset=s.col_offset)
        self.statement(store, out)
        return True

    def ufunc_at(self, s, out) -> bool:
        """``np.add.at(y, idx, v)`` (and ``np.subtract.at``) adds every item,
        repeated indices included: the loop ``for k in range(len(idx)):
        y[idx[k]] += v[k]`` (``v`` a number: ``+= v``; ``idx`` a tuple of index
        arrays: ``y[rows[k], cols[k]]``)."""
        call = s.value
        fn = resolve(call.func, self.namespace, self.locals)
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "at" and
                isinstance(resolve(call.func.value, self.namespace, self.locals), np.ufunc)):
            return False
        op = ast.Add() if fn == np.add.at else ast.Sub() if fn == np.subtract.at else None
        if op is None:
            raise self.error(s, f"{ast.unparse(call.func)}(...) is not supported: "
                                f"np.add.at and np.subtract.at are, or write the loop")
        if len(call.args) != 3 or call.keywords or not isinstance(call.args[0], ast.Name) or \
                call.args[0].id not in self.locals:
            raise self.error(s, f"{ast.unparse(call.func)}(y, indices, values) writes into "
                                f"an array variable y")
        where = {"lineno": s.lineno, "col_offset": s.col_offset}
        parts = call.args[1].elts if isinstance(call.args[1], ast.Tuple) else [call.args[1]]
        indices = [self.atom(p, out, force_temp=True, hint="k") for p in parts]
        value = self.atom(call.args[2], out, force_temp=not isinstance(call.args[2], ast.Constant))
        if isinstance(value, ast.Name):
            # (a number, not an array, once types are known: program.py reads it whole)
            self.per_item_values.add(value.id)
        k = self.temp("i")
        index = [ast.Subscript(value=_name(i.id), slice=_name(k), ctx=ast.Load())
                 for i in indices]
        item = value if isinstance(value, ast.Constant) else \
            ast.Subscript(value=_name(value.id), slice=_name(k), ctx=ast.Load())
        target = ast.Subscript(value=_name(call.args[0].id),
                               slice=index[0] if len(index) == 1 else
                               ast.Tuple(elts=index, ctx=ast.Load()), ctx=ast.Store())
        loop = ast.For(target=_name(k, True), iter=ast.Call(
            func=_name("range"), args=[_length(indices[0].id)], keywords=[]),
            body=[ast.AugAssign(target=target, op=op, value=item, **where)], orelse=[],
            **where)
        self.statement(ast.fix_missing_locations(loop), out)
        return True

    def helper_statement(self, s, out) -> bool:
        """The helper calls generated code makes for speed (an adjoint differentiated
        again): ``add_into(dx[i, :], g)`` is ``dx[i, :] += g`` (``sub_into``: ``-=``,
        ``copy_into``: ``=``), ``add_ties_shared(dx, x, m, dm)`` is ``dx +=
        ties_shared(x, m, dm)``,
        ``store_row(rows, k, v)`` (a tape's push of an array) is ``rows[k] = v``."""
        call = s.value
        if call.keywords:
            return False
        fn = resolve(call.func, self.namespace, self.locals)
        if fn in (add_into, sub_into) and len(call.args) == 2 \
                and isinstance(call.args[0], ast.Subscript):
            target = ir.clone(call.args[0])
            target.ctx = ast.Store()
            op = ast.Add() if fn is add_into else ast.Sub()
            self.augassign_stmt(ast.copy_location(
                ast.AugAssign(target=target, op=op, value=call.args[1]), s), out)
            return True
        if fn is add_ties_shared and len(call.args) == 4 and isinstance(call.args[0], ast.Name):
            # (the module imports add_ties_shared, not ties_shared: called by its object)
            shares = self.call_object(_call_like(call, call.args[1:], func=_name("ties_shared")),
                                      ties_shared, out)
            tmp = self.temp("shares")
            self.assign(out, tmp, shares)
            self.augassign_stmt(ast.copy_location(ast.AugAssign(
                target=_name(call.args[0].id, True), op=ast.Add(), value=_name(tmp)), s), out)
            return True
        if fn is copy_into and len(call.args) == 2 and isinstance(call.args[0], ast.Subscript):
            target = ir.clone(call.args[0])
            target.ctx = ast.Store()
            self.statement(ast.copy_location(
                ast.Assign(targets=[target], value=call.args[1]), s), out)
            return True
        if fn is store_row and len(call.args) == 3:
            target = ast.Subscript(value=ir.clone(call.args[0]), slice=ir.clone(call.args[1]),
                                   ctx=ast.Store())
            self.statement(ast.copy_location(
                ast.Assign(targets=[target], value=call.args[2]), s), out)
            return True
        return False

    def tape_push(self, call, out) -> bool:
        """``_saved.append(v)`` on a tape of generated code."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr == "append"
                and isinstance(func.value, ast.Name) and func.value.id in self.lists):
            return False
        if len(call.args) != 1 or call.keywords:
            raise self.error(call, "append() takes one argument")
        value = self.atom(call.args[0], out)
        node = ast.Call(func=ast.Attribute(value=_name(func.value.id), attr="append",
                                           ctx=ast.Load()), args=[value], keywords=[])
        self.emit(out, ast.Expr(value=node), ir.Kind.PUSH)
        return True

    def written_positions(self, fn, call) -> list:
        """Positions of the arguments ``fn`` writes into: array variables, or
        views of one (``k[s]``, ``a[:, j]``), which get the new values back."""
        from ..frontend.source import get_source
        callee = get_source(fn)
        written = _written_params(callee)
        positions = [k for k, p in enumerate(callee.params)
                     if p in written and k < len(call.args)]
        self.check_rebound(callee, written, call)
        for k in positions:
            a = call.args[k]
            view = isinstance(a, ast.Subscript) and isinstance(a.value, ast.Name) \
                and a.value.id in self.locals
            if not (isinstance(a, ast.Name) and a.id in self.locals or view):
                raise self.error(call, f"argument {k + 1} of '{callee.name}' is written into: "
                                       "pass an array variable or a view of one (a[i])")
        return positions

    def with_all_args(self, call, fn, text) -> ast.Call:
        """``call`` of a user function with one positional argument per parameter
        (keywords and number defaults filled in)."""
        from ..frontend.source import unwrap
        args, why = bind_call(call, unwrap(fn)[0])
        if args is None:
            raise self.error(call, f"cannot call '{text}' here: {why}")
        static = next((a for a in args if is_static_constant(a)), None)
        if static is not None and self.values_unknown:
            # (a string or None argument: the helper inlined, specialized on it, once
            # the arguments are known; passes/static_args.py)
            args = [ast.copy_location(ast.Constant(0), a) if is_static_constant(a) else a
                    for a in args]
        elif static is not None:
            raise self.error(call, f"cannot pass {static.value!r} to '{text}' here: a string or "
                                   f"None argument is supported where the helper's code is "
                                   f"copied into the caller, and '{text}' is not (it returns "
                                   f"from several places, calls itself, or is too large)")
        new = ast.Call(func=call.func, args=args, keywords=[])
        return ast.copy_location(new, call)

    def check_rebound(self, callee, written, call):
        rebound = _rebound_written(callee, written)
        if rebound is not None:
            name, node = rebound
            line = callee.info.line_offset + node.lineno
            raise self.error(call, f"'{callee.name}' writes into its argument '{name}' and "
                                   f"also binds '{name}' to another value (line {line}), "
                                   f"so its writes would not all reach the caller's array: "
                                   f"give the new value another name")

    def written_args(self, call, positions, out) -> tuple[list, dict]:
        """The call's arguments as atoms, and for each written view
        ``base[index]`` its base and index (evaluated once, before the call),
        which the new values are stored back through."""
        args, views = [], {}
        for k, a in enumerate(call.args):
            if k in positions and isinstance(a, ast.Subscript):
                index = self.index(a.slice, out)
                views[k] = (a.value.id, index)
                args.append(self.atom(ast.Subscript(value=_name(a.value.id), slice=index,
                                                    ctx=ast.Load()), out, force_temp=True))
            else:
                args.append(self.atom(a, out))
        return args, views

    def inplace_call(self, call, out) -> bool:
        """``fill(out, x)``: a user function writing into argument arrays becomes
        ``out = fill'(out, x)`` where ``fill'`` works on a copy and returns it."""
        from ..rules import registry
        fn = resolve(call.func, self.namespace, self.locals)
        if fn is MISSING or not registry.is_user_function(fn):
            return False
        from ..frontend.source import get_source
        callee = get_source(fn)
        if not _written_params(callee):
            raise self.error(call, f"the result of '{ast.unparse(call.func)}' is not used and it "
                                   "writes into none of its arguments")
        call = self.with_all_args(call, fn, ast.unparse(call.func))
        positions = self.written_positions(fn, call)
        args, views = self.written_args(call, positions, out)
        self.written_call(fn, args, positions, out, call, views)
        return True

    def written_call(self, fn, args, positions, out, call, views) -> str:
        """``r, o = f'(x, ...)`` then ``x = o`` (``a[i] = o`` for a view
        ``views`` names): ``f'`` works on copies of the arrays ``f`` writes
        into and returns its result and them; the name of the result."""
        def base(j):
            a = call.args[j]
            a = a.value if isinstance(a, ast.Subscript) else a
            return a.id if isinstance(a, ast.Name) else None
        for k in positions:
            name = base(k)
            same = [j for j in range(len(call.args)) if j != k and base(j) == name]
            if same:
                text, other = ast.unparse(call.args[k]), ast.unparse(call.args[same[0]])
                raise self.error(call, f"'{text}' is passed to '{fn.__name__}' as argument "
                                       f"{k + 1}, which it writes into, and '{other}' as "
                                       f"argument {same[0] + 1}: pass a copy of the other "
                                       f"('{other}.copy()')")
        temps = [self.temp("r")] + [self.temp("o") for _ in positions]
        node = ast.Call(func=_name(fn.__name__), args=args, keywords=[])
        ir.mark(node, ("user", fn))
        ir.INPLACE.set(node, tuple(positions))
        self.user_calls[fn.__name__] = fn
        stmt = ast.Assign(targets=[ast.Tuple(elts=[_name(t, True) for t in temps],
                                             ctx=ast.Store())], value=node)
        self.emit(out, stmt, ir.Kind.UNPACK)
        for k, t in zip(positions, temps[1:]):
            if k in views:
                name, index = views[k]
                node = ast.Assign(targets=[ast.Subscript(value=_name(name), slice=index,
                                                         ctx=ast.Store())], value=_name(t))
                self.emit(out, node, ir.Kind.STORE)
            else:
                self.assign(out, args[k].id, ir.mark(_name(t), ("copy",)))
        return temps[0]

    def assign_stmt(self, s, out):
        value = s.value
        if len(s.targets) > 1:
            tmp = self.temp()
            self.assign_to_name(tmp, value, out)
            for t in s.targets:
                self.assign_target(t, _name(tmp), out)
            return
        self.assign_target(s.targets[0], value, out)

    def assign_target(self, target, value, out):
        if isinstance(target, ast.Name):
            self.assign_to_name(target.id, value, out)
        elif isinstance(target, ast.Subscript):
            base = self.store_base(target)
            if isinstance(value, ast.Name) and value.id == base:
                # ``z[::-1] = z``, ``z[:] = z``, ``z[idx] = z``: NumPy reads the whole
                # array before it writes (a copy of the right side; the adjoint's
                # zeroing of the stored part would take the value's adjoint too)
                value = ast.copy_location(ast.Call(
                    func=ast.Attribute(value=_name(base), attr="copy", ctx=ast.Load()),
                    args=[], keywords=[]), value)
            if _strided_self_copy(target, value, base):
                raise self.error(value, (
                    f"'{base}' is copied into itself with another step or along another "
                    f"axis: NumPy copies such "
                    f"overlapping slices in memory order, element by element, so the "
                    f"result depends on which elements are read after they are written; "
                    f"copy the right side first ('{ast.unparse(value)}.copy()')"))
            index = self.index(target.slice, out)
            atom = self.atom(value, out)
            node = ast.Assign(targets=[ast.Subscript(value=_name(base), slice=index,
                                                     ctx=ast.Store())], value=atom)
            self.emit(out, node, ir.Kind.STORE)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.unpack(target, value, out)
        elif isinstance(target, ast.Starred):
            raise self.error(target, "starred assignment is not supported")
        else:
            raise self.error(target, f"cannot assign to {type(target).__name__.lower()}")

    def store_base(self, target):
        if not isinstance(target.value, ast.Name):
            inner = target.value
            if isinstance(inner, ast.Subscript) and isinstance(inner.value, ast.Name) and \
                    not isinstance(inner.slice, (ast.Slice, ast.Tuple)) and \
                    not isinstance(target.slice, ast.Slice):
                # B[i][j] = v: write the indices in one subscript
                both = [inner.slice] + (list(target.slice.elts)
                                        if isinstance(target.slice, ast.Tuple) else [target.slice])
                hint = f"{inner.value.id}[{', '.join(ast.unparse(p) for p in both)}]"
                raise self.error(target, f"only 'name[index] = ...' subscript assignment is "
                                         f"supported: write {hint} = ... (one subscript)")
            raise self.error(target, "only 'name[index] = ...' subscript assignment is supported")
        name = target.value.id
        if name not in self.locals:
            raise self.error(target, f"cannot assign into global '{name}'")
        return name

    def unpack(self, target, value, out):
        if all(isinstance(elt, (ast.Name, ast.Subscript)) for elt in target.elts) and \
                not all(isinstance(elt, ast.Name) for elt in target.elts):
            # r[0], r[1] = a, b: the values into new names first, then stored
            temps = [self.temp() for _ in target.elts]
            self.unpack(ast.Tuple(elts=[_name(t, True) for t in temps], ctx=ast.Store()),
                        value, out)
            for elt, t in zip(target.elts, temps):
                self.assign_target(elt, _name(t), out)
            return
        names = []
        for elt in target.elts:
            if not isinstance(elt, ast.Name):
                raise self.error(elt, "tuple unpacking supports names and elements "
                                      "(a, x[i] = ...) only")
            names.append(elt.id)
        if isinstance(value, (ast.Tuple, ast.List)):
            if len(value.elts) != len(names):
                raise self.error(value, f"cannot unpack {len(value.elts)} values into "
                                        f"{len(names)} names")
            temps = []
            for v in value.elts:
                a = self.atom(v, out)
                if isinstance(a, ast.Name) and a.id in names:
                    t = self.temp()
                    self.assign(out, t, ir.mark(_name(a.id), ("copy",)))
                    a = _name(t)
                temps.append(a)
            for n, a in zip(names, temps):
                self.assign(out, n, ir.mark(a, ("copy",) if isinstance(a, ast.Name) else ("const",)))
            return
        if isinstance(value, ast.Call):
            call = self.call(value, out)
            if ir.PRIM(call)[0] == "user":
                # x, v = step(x, v): results go to fresh names first, so the
                # reverse sweep still sees the arguments the call was made with
                operands = free_names(call)
                direct = [n if n not in operands else self.temp() for n in names]
                node = ast.Assign(targets=[ast.Tuple(elts=[_name(n, True) for n in direct],
                                                     ctx=ast.Store())], value=call)
                self.emit(out, node, ir.Kind.UNPACK)
                for n, d in zip(names, direct):
                    if n != d:
                        self.assign(out, n, ir.mark(_name(d), ("copy",)))
                return
            tmp = self.temp()
            self.assign(out, tmp, call)
            value = _name(tmp)
        src = self.atom(value, out)
        if isinstance(src, ast.Name) and src.id in names:
            t = self.temp()
            self.assign(out, t, ir.mark(_name(src.id), ("copy",)))
            src = _name(t)
        for k, n in enumerate(names):
            sub = ast.Subscript(value=src, slice=ast.Constant(k), ctx=ast.Load())
            self.assign(out, n, ir.mark(sub, ("subscript",)))

    def assign_to_name(self, target: str, value, out):
        prim = self.prim(value, out)
        operands = free_names(prim)
        if target in operands:
            if ir.PRIM(prim) == ("binop", "Add") and _is_name(prim.left, target) \
                    and not _is_name(prim.right, target) \
                    or ir.PRIM(prim) == ("binop", "Sub") and _is_name(prim.left, target) \
                    and not _is_name(prim.right, target):
                acc = self.assign(out, target, prim, ir.Kind.ACCUMULATE)
                # 'x += a' (in place on an array) rather than 'x = x + a'
                ir.AUGMENTED.set(acc, ir.AUGMENTED(value))
                return
            if ir.PRIM(prim) == ("copy",):
                return  # x = x
            tmp = self.temp()
            if ir.AUGMENTED(value):
                # 'x *= y' on an array writes in place (buffers.py checks aliases)
                ir.AUGMENTED.set(prim, True)
            self.assign(out, tmp, prim)
            prim = ir.mark(_name(tmp), ("copy",))
        self.assign(out, target, prim)

    def augassign_stmt(self, s, out):
        target = s.target
        binop = ast.BinOp(left=None, op=s.op, right=s.value)
        ir.AUGMENTED.set(binop, True)
        if isinstance(target, ast.Name):
            binop.left = ast.Name(id=target.id, ctx=ast.Load())
            ast.copy_location(binop, s)
            ast.copy_location(binop.left, target)
            self.assign_to_name(target.id, binop, out)
            return
        if isinstance(target, ast.Subscript):
            base = self.store_base(target)
            index = self.index(target.slice, out)
            if isinstance(s.op, (ast.Add, ast.Sub)) and not _may_overlap(target, s.value, base):
                atom = self.atom(s.value, out)
                node = ast.AugAssign(target=ast.Subscript(value=_name(base), slice=index,
                                                          ctx=ast.Store()), op=s.op, value=atom)
                self.emit(out, node, ir.Kind.AUGSTORE)
                return
            old = self.temp()
            self.assign(out, old, ir.mark(ast.Subscript(value=_name(base), slice=index,
                                                      ctx=ast.Load()), ("subscript",)))
            binop.left = _name(old)
            ast.copy_location(binop, s)
            new = self.temp()
            self.assign_to_name(new, binop, out)
            node = ast.Assign(targets=[ast.Subscript(value=_name(base), slice=index,
                                                     ctx=ast.Store())], value=_name(new))
            self.emit(out, node, ir.Kind.STORE)
            return
        raise self.error(target, "unsupported augmented assignment target")

    def loop_else(self, s, out):
        """``for``/``while`` with ``else``: a flag set before the loop, cleared by
        each ``break`` of the loop's own, and the ``else`` run where it is still
        set (Python's meaning: the loop ended without a ``break``)."""
        flag = self.temp("no_break")
        loop = copy.copy(s)
        loop.orelse = []
        loop.body = _clearing_before_breaks(s.body, flag)
        start = ast.copy_location(ast.Assign(targets=[_name(flag, True)],
                                             value=ast.Constant(True)), s)
        after = ast.copy_location(ast.If(test=_name(flag), body=s.orelse, orelse=[]), s.orelse[0])
        self.block([start, loop, after], out)

    def for_stmt(self, s, out):
        if s.orelse:
            return self.loop_else(s, out)
        it = s.iter
        fn = resolve(it.func, self.namespace, self.locals) if isinstance(it, ast.Call) else MISSING
        if fn is reversed and len(it.args) == 1 and not it.keywords and \
                isinstance(it.args[0], ast.Call) and \
                resolve(it.args[0].func, self.namespace, self.locals) is range:
            it = self.reversed_range(it.args[0])
            fn = range
        if fn is not range:
            return self.for_over_sequences(s, out)
        if not isinstance(s.target, ast.Name):
            raise self.error(s.target, "the variable of a range(...) loop must be a plain name")
        if not 1 <= len(it.args) <= 3 or it.keywords:
            raise self.error(it, "range() takes 1 to 3 positional arguments")
        if s.target.id in _assigned_names_in(s.body):
            # ``for i in range(n): i = min(i, 1)``: the body's ``i`` is a variable of its
            # own, set from the count at the top of each iteration; the count goes on
            counter = self.temp(s.target.id.lstrip("_") or "i")
            start = ast.copy_location(ast.Assign(targets=[_name(s.target.id, True)],
                                                 value=_name(counter)), s)
            s = ast.copy_location(ast.For(target=_name(counter, True), iter=s.iter,
                                          body=[start, *s.body], orelse=[],
                                          type_comment=None), s)
        assigned_in_body = _assigned_names_in(s.body) | {s.target.id}
        args = []
        for a in it.args:
            if _is_int_expr(a) and not (free_names(a) & assigned_in_body):
                self.check_expr(a)
                args.append(self.inline(a))
            elif isinstance(a, ast.Name) and a.id in self.locals:
                # ``for i in range(n): ... n += 1``: the count is n's value before
                # the loop (the reverse sweep runs after n has changed)
                t = self.temp(a.id.lstrip("_") or "n")
                self.assign(out, t, self.prim(a, out))
                args.append(_name(t))
            else:
                args.append(self.atom(a, out, force_temp=True))
        body = []
        self.block(s.body, body)
        self.line = s.lineno
        rng = ast.Call(func=_name("range"), args=args, keywords=[])
        node = ast.For(target=_name(s.target.id, True), iter=rng,
                       body=body or [ast.Pass()], orelse=[], type_comment=None)
        self.emit(out, node, ir.Kind.FOR)

    def reversed_range(self, rng):
        """``reversed(range(...))`` as the range that counts down over the same
        values (the step must be a constant to know which way it runs)."""
        args = rng.args
        if not 1 <= len(args) <= 3 or rng.keywords:
            raise self.error(rng, "range() takes 1 to 3 positional arguments")

        def op(a, o, b):
            return ast.copy_location(ast.BinOp(left=copy.deepcopy(a), op=o, right=b), rng)

        one = ast.Constant(1)
        if len(args) == 1:
            new = [op(args[0], ast.Sub(), one), ast.Constant(-1), ast.Constant(-1)]
        else:
            start, stop, step = _range_parts(args)
            if step is None or step == 0:
                raise self.error(rng, "reversed(range(...)) needs a constant step: "
                                      "write the range that counts down instead")
            # the last value the range reaches, then back to its start
            if abs(step) == 1:
                last = op(stop, ast.Sub(), ast.Constant(step))
            else:
                last = op(start, ast.Add(), op(op(_range_count(start, stop, step), ast.Sub(),
                                                  one), ast.Mult(), ast.Constant(step)))
            new = [last, op(start, ast.Sub(), ast.Constant(step)), ast.Constant(-step)]
        return ast.copy_location(ast.Call(func=_name("range"), args=new, keywords=[]), rng)

    def loop_bindings(self, target, it, bindings, out):
        """What ``for target in it`` binds each iteration, as ``(target, how,
        what)``: ``("count", start)`` for enumerate's counter, ``("item",
        seq)`` / ``("back", seq)`` for ``seq[k]`` / ``seq[len(seq) - 1 - k]``.
        The sequences are evaluated here, once, before the loop."""
        fn = resolve(it.func, self.namespace, self.locals) if isinstance(it, ast.Call) else MISSING
        if fn is enumerate:
            start = it.args[1] if len(it.args) == 2 else \
                next((k.value for k in it.keywords if k.arg == "start"), ast.Constant(0))
            if not 1 <= len(it.args) + len(it.keywords) <= 2 or \
                    any(k.arg != "start" for k in it.keywords):
                raise self.error(it, "enumerate() takes a sequence and a start")
            if not (isinstance(target, ast.Tuple) and len(target.elts) == 2):
                raise self.error(target, "enumerate(...) gives pairs: "
                                         "'for i, v in enumerate(x)'")
            bindings.append((target.elts[0], "count", self.atom(start, out)))
            self.loop_bindings(target.elts[1], it.args[0], bindings, out)
        elif fn is zip:
            if it.keywords or not it.args:
                raise self.error(it, "zip() takes sequences (no keywords)")
            if not (isinstance(target, ast.Tuple) and len(target.elts) == len(it.args)):
                raise self.error(target, f"zip(...) of {len(it.args)} sequences gives "
                                         f"{len(it.args)} values each time")
            for t, a in zip(target.elts, it.args):
                self.loop_bindings(t, a, bindings, out)
        elif fn is reversed and len(it.args) == 1 and not it.keywords:
            bindings.append((target, "back", self.sequence(it.args[0], out)))
        elif isinstance(it, ast.Subscript) and isinstance(it.slice, ast.Slice) and \
                it.slice.lower is None and it.slice.upper is None and \
                _constant_int(it.slice.step) == -1:
            # ``x[::-1]`` is ``reversed(x)``: no view of x made to loop over
            bindings.append((target, "back", self.sequence(it.value, out)))
        elif fn is range and 1 <= len(it.args) <= 3 and not it.keywords:
            bindings.append((target, "range", self.range_values(it, out)))
        elif fn in (range, enumerate, zip, reversed) or \
                (isinstance(it, ast.Call) and fn in (dict, set, list, sorted)):
            raise self.error(it, f"cannot loop over {ast.unparse(it)} here: iterate over "
                                 f"indices ('for i in range(len(x))')")
        else:
            bindings.append((target, "item", self.sequence(it, out)))

    def range_values(self, rng, out):
        """(start, step, count) of ``range(...)`` inside ``zip``/``enumerate``:
        atoms evaluated before the loop, the step a constant, the count an
        expression over the atoms."""
        start, stop, _ = _range_parts([self.atom(a, out) for a in rng.args])
        step = 1 if len(rng.args) < 3 else _constant_int(rng.args[2])
        if step is None or step == 0:
            raise self.error(rng, "a range inside zip(...) or enumerate(...) needs a "
                                  "constant step")
        count = ast.Call(func=_name("max"), args=[_range_count(start, stop, step),
                                                  ast.Constant(0)], keywords=[])
        return start, step, count

    def sequence(self, e, out) -> str:
        seq = self.atom(e, out)
        if not isinstance(seq, ast.Name):
            raise self.error(e, "can only loop over range(...), an array or a tuple")
        self.sequences[seq.id] = e      # (what messages about it show)
        return seq.id

    def for_over_sequences(self, s, out):
        """``for v in x`` over an array (its elements or rows) or a tuple, and
        ``enumerate``, ``zip`` and ``reversed`` of those: an index loop
        ``for _i in range(len(x)): v = x[_i]``.  Type inference checks what
        ``x`` is (``ir.ITERATES``)."""
        bindings = []
        self.loop_bindings(s.target, s.iter, bindings, out)
        assigned = _assigned_names_in(s.body) | _assigned_names_in([ast.Assign(
            targets=[s.target], value=ast.Constant(0))])
        seqs = []
        counts = []
        for k, (target, how, what) in enumerate(bindings):
            if how == "range":
                counts.append(what[2])
            if how in ("count", "range"):
                continue
            if what in assigned:
                # the loop runs over the sequence it started with
                t = self.temp()
                self.assign(out, t, ir.mark(_name(what), ("copy",)))
                self.sequences[t] = self.sequences.get(what, _name(what))
                bindings[k] = (target, how, t)
                what = t
            if what not in seqs:
                seqs.append(what)
                counts.append(_length(what))
        counter = bindings[0] if bindings[0][1] == "count" else None
        if counter is not None and isinstance(counter[0], ast.Name) and \
                isinstance(counter[2], ast.Constant) and counter[2].value == 0 and \
                counter[0].id not in _assigned_names_in(s.body):
            # for i, v in enumerate(x): i is the loop index itself
            index = counter[0].id
            bindings = bindings[1:]
        else:
            index = self.temp("i")
        body = []
        self.line = s.lineno
        for target, how, what in bindings:
            if how == "count":
                value = _name(index) if isinstance(what, ast.Constant) and what.value == 0 \
                    else ast.BinOp(left=_name(index), op=ast.Add(), right=what)
            elif how == "range":
                start, step, _ = what
                value = _name(index) if step == 1 else \
                    ast.BinOp(left=_name(index), op=ast.Mult(), right=ast.Constant(step))
                if not (isinstance(start, ast.Constant) and start.value == 0):
                    value = ast.BinOp(left=start, op=ast.Add(), right=value)
            else:
                position = _name(index)
                if how == "back":
                    last = ast.BinOp(left=_length(what), op=ast.Sub(), right=ast.Constant(1))
                    position = ast.BinOp(left=last, op=ast.Sub(), right=_name(index))
                value = ir.mark(ast.Subscript(value=_name(what), slice=position,
                                              ctx=ast.Load()), ("subscript",))
                ir.NONNEG.set(value, True)
            if isinstance(target, ast.Name) and how not in ("count", "range"):
                self.assign(body, target.id, value)
            else:
                self.statement(ast.copy_location(ast.Assign(targets=[target], value=value),
                                                 s), body)
                self.line = s.lineno
        self.block(s.body, body)
        self.line = s.lineno
        count = counts[0] if len(counts) == 1 else \
            ast.Call(func=_name("min"), args=counts, keywords=[])
        rng = ast.Call(func=_name("range"), args=[count], keywords=[])
        node = ast.For(target=_name(index, True), iter=rng, body=body, orelse=[],
                       type_comment=None)
        ir.ITERATES.set(node, [(q, self.sequences[q]) for q in seqs] or None)
        self.emit(out, node, ir.Kind.FOR)

    def while_stmt(self, s, out):
        if s.orelse:
            return self.loop_else(s, out)
        if self.values_unknown:
            s = ast.copy_location(ast.While(test=without_flag_tests(s.test, self.params),
                                            body=s.body, orelse=s.orelse), s)
        s = _exits_in_test(s)
        if not (isinstance(s.test, ast.Constant) and s.test.value is True) and \
                not _continues(s.body):
            self.tested_at_end(s, out)
            return
        body = []
        if not (isinstance(s.test, ast.Constant) and s.test.value is True):
            self.exit_unless(s, body)
        self.block(s.body, body)
        self.line = s.lineno
        node = ast.While(test=ast.Constant(True), body=body or [ast.Pass()], orelse=[])
        ir.TRIP_LIMIT.set(node, _trip_limit(s))
        self.emit(out, node, ir.Kind.WHILE)

    def tested_at_end(self, s, out):
        """``while c: body`` as ``if c: while True: body; if not c: break``: the
        same tests, in the same order, but the exit at the end of the body, as
        in a ``for`` loop left by ``break``.  Then nothing of the body is
        guarded by the exit, and the planner treats its values as it does a
        ``for`` loop's (a scalar the body carries to the next iteration is
        saved once per iteration; what is computed from it is recomputed in
        reverse).  Not with ``continue``, which jumps to the test."""
        first = self.test_atom(copy.deepcopy(s.test), out)
        body = []
        self.block(s.body, body)
        self.line = s.lineno
        self.exit_unless(s, body)
        loop = ast.While(test=ast.Constant(True), body=body, orelse=[])
        ir.TRIP_LIMIT.set(loop, _trip_limit(s))
        ran = ast.If(test=first, body=[], orelse=[])
        self.emit(ran.body, loop, ir.Kind.WHILE)
        self.emit(out, ran, ir.Kind.IF)

    def exit_unless(self, s, body):
        """``if not <test of while s>: break`` at the end of ``body``."""
        test = self.test_atom(s.test, body)
        stop = ast.If(test=ast.UnaryOp(op=ast.Not(), operand=test), body=[], orelse=[])
        brk = ast.Break()
        ir.tag(brk, s.lineno, ir.Kind.JUMP)
        stop.body = [brk]
        self.emit(body, stop, ir.Kind.IF)

    # -- expressions -----------------------------------------------------
    def check_expr(self, e):
        if id(e) in self.clean:
            return
        found = list(nodes(e))
        if not any(isinstance(n, UNSUPPORTED_TYPES) for n in found):
            self.clean.update((id(n), n) for n in found)
            return
        # lists written as call arguments (np.array([a, b]), axes=[0, 1]): the call decides
        # and index lists (x[[0, 2, 2]]): the call or the index decides
        arg_lists = {id(x) for n in nodes(e) if isinstance(n, ast.Call)
                     for a in n.args + [k.value for k in n.keywords]
                     for x in nodes(a) if isinstance(x, ast.List)} | \
            {id(n.slice) for n in nodes(e) if isinstance(n, ast.Subscript)} | \
            {id(x) for n in nodes(e) if isinstance(n, ast.Subscript)
             and isinstance(n.slice, ast.Tuple) for x in n.slice.elts}
        # sum(... for ...), np.array([... for ...]): the call decides, the parts
        # are checked when the loop they become is normalized
        arg_lists |= {id(x) for n in nodes(e) if self.comprehension_call(n) is not None
                      for x in nodes(n.args[0])}
        call_args = {id(a) for n in nodes(e) if isinstance(n, ast.Call) for a in n.args}
        # np.array([0.0] * n): the call makes np.full or np.tile of it (call_object)
        repeats = {id(r) for n in found if isinstance(n, ast.Call) and
                   self.repeated_list_call(n) is not None for r in nodes(n.args[0])}
        for n in nodes(e):
            if self.tapes and isinstance(n, ast.List) and not n.elts:
                continue   # a tape
            if id(n) in arg_lists:
                continue
            if isinstance(n, (ast.GeneratorExp, ast.ListComp)) and id(n) in call_args:
                raise self.error(n, "a comprehension is supported as the argument of sum, "
                                    "np.sum, np.mean, max, min, np.max, np.min and np.array "
                                    "(one 'for'); write the loop")
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) and \
                    (isinstance(n.left, ast.List) or isinstance(n.right, ast.List)) and \
                    id(n) not in repeats:
                # ([a, b] * 3: NumPy-minded code means np.tile, Python repeats the list)
                raise self.error(n, "a list repeated with '*' is not supported: write the "
                                    "array, np.tile(np.array([...]), k), or np.full(k, v) "
                                    "for one value")
            for bad, what in UNSUPPORTED_EXPRESSIONS.items():
                if isinstance(n, bad):
                    raise self.error(n, f"cannot differentiate through {what}")

    def comprehension_call(self, e):
        """The function of ``sum(<comprehension>)`` (or another of
        ``COMPREHENSION_CALLS``), else None."""
        if not (isinstance(e, ast.Call) and 1 <= len(e.args) <= 2 and
                isinstance(e.args[0], (ast.GeneratorExp, ast.ListComp))):
            return None
        fn = resolve(e.func, self.namespace, self.locals)
        if len(e.args) == 2 and fn is not sum:
            return None
        return fn if any(fn is f for f in COMPREHENSION_CALLS) else None

    def comprehension(self, e, fn, out):
        """``sum(f(v) for v in x)`` (``sum(..., start)``, ``np.sum``, ``np.mean``,
        ``max``, ``min``; generator or list, ``if`` filters too) as a loop
        that adds into (or keeps the largest in) a new name, and
        ``np.array([f(v) for v in x])`` as a loop that fills a new array of
        one element per item.  The comprehension's variables are its own: they
        are renamed where the function uses the same names."""
        comp = e.args[0]
        if len(comp.generators) != 1 or comp.generators[0].is_async:
            raise self.error(comp, "a comprehension with more than one 'for' is not "
                                   "supported: write the loops")
        gen = comp.generators[0]
        keywords = [k for k in e.keywords if not (
            fn is np.array and k.arg == "dtype" and resolve(k.value, self.namespace,
                                                            self.locals) in (float, np.float64))]
        if keywords:
            raise self.error(e, f"{ast.unparse(e.func)}(...) of a comprehension takes no "
                                f"keywords here")
        if fn is np.array and gen.ifs:
            raise self.error(comp, "np.array of a filtered comprehension has no length known "
                                   "before the loop: fill an array in a loop instead")
        own = {n.id for n in nodes(gen.target) if isinstance(n, ast.Name)}
        renamed = {v: self.temp(v) for v in sorted(own & self.outer_names())}
        target, elt = _renamed(gen.target, renamed), _renamed(comp.elt, renamed)
        ifs = [_renamed(c, renamed) for c in gen.ifs]
        where = {"lineno": e.lineno, "col_offset": e.col_offset}
        result = self.temp({id(np.array): "items", id(max): "max", id(min): "min",
                            id(np.max): "max", id(np.min): "min", id(np.mean): "mean"}.get(
                                id(fn), "sum"))
        if fn is np.array:
            empty = self.empty_items(gen, [comp.elt])
            self.statement(ast.Assign(targets=[_name(result, True)], value=empty, **where), out)
            position = self.temp("k")
            target = ast.Tuple(elts=[_name(position, True), target], ctx=ast.Store())
            iterated = ast.Call(func=_name("enumerate"), args=[gen.iter], keywords=[])
            body = [ast.Assign(targets=[ast.Subscript(value=_name(result), slice=_name(position),
                                                      ctx=ast.Store())], value=elt, **where)]
        else:
            reduce = {id(np.max): max, id(np.min): min, id(np.mean): sum}.get(id(fn), fn)
            if fn in (np.sum, np.mean, np.max, np.min):
                # np.sum of a list of arrays adds up all their elements
                elt = ast.Call(func=ast.Attribute(value=_name(NUMPY), attr=fn.__name__,
                                                  ctx=ast.Load()), args=[elt], keywords=[])
            if reduce in (max, min):
                # (an empty sequence gives -inf / inf here, where Python raises)
                first, pick = _RUNNING[id(reduce)]
                start = ast.UnaryOp(op=ast.USub(), operand=ast.Attribute(
                    value=_name(NUMPY), attr="inf", ctx=ast.Load())) if first == "-inf" else \
                    ast.Attribute(value=_name(NUMPY), attr="inf", ctx=ast.Load())
                self.statement(ast.Assign(targets=[_name(result, True)], value=start, **where),
                               out)
                body = [ast.Assign(targets=[_name(result, True)], value=ast.Call(
                    func=_name(pick), args=[_name(result), elt], keywords=[]), **where)]
            else:
                start = self.atom(e.args[1], out) if len(e.args) == 2 else ast.Constant(0.0)
                self.assign(out, result, ir.mark(start, ("const",) if isinstance(
                    start, ast.Constant) else ("copy",)))
                # (result = result + item: a new array each time for arrays, as sum's
                # own additions, never a write into the start value)
                body = [ast.Assign(targets=[_name(result, True)], value=ast.BinOp(
                    left=_name(result), op=ast.Add(), right=elt, **where), **where)]
            if fn is np.mean:
                # a NumPy float count: an empty sequence gives nan, as NumPy's mean, on
                # every target (a Python 0 would raise ZeroDivisionError on python)
                count = self.temp("n")
                zero = ast.Call(func=ast.Attribute(value=_name(NUMPY), attr="float64",
                                                   ctx=ast.Load()),
                                args=[ast.Constant(0.0)], keywords=[], **where)
                self.assign(out, count, self.prim(zero, out))
                body.append(ast.AugAssign(target=_name(count, True), op=ast.Add(),
                                          value=ast.Constant(1), **where))
            for c in reversed(ifs):
                body = [ast.If(test=c, body=body, orelse=[], **where)]
            iterated = gen.iter
        loop = ast.For(target=target, iter=iterated, body=body, orelse=[], **where)
        self.statement(ast.fix_missing_locations(loop), out)
        self.line = e.lineno
        if fn is np.mean:
            return self.prim(ast.BinOp(left=_name(result), op=ast.Div(), right=_name(count),
                                       **where), out)
        return ir.mark(_name(result), ("copy",))

    def empty_items(self, loop, items, room=None):
        """``np.empty(max(n, 0))`` of one element per iteration of ``loop`` (a ``for``
        or a comprehension's generator; ``np.empty(room)`` without one), an int64 array
        when every expression of ``items`` is computed from range counters and integer
        constants (index lists, as NumPy makes them); floats otherwise."""
        counters = set(_range_counters(loop, self.namespace, self.locals).values()) \
            if loop is not None else _int_names(self.src.tree, self.params)
        ints = all(_int_valued(e, counters) for e in items)
        count = ast.Constant(room) if loop is None else ast.Call(
            func=_name("max"), args=[self.item_count(loop.iter), ast.Constant(0)], keywords=[])
        return ast.Call(func=ast.Attribute(value=_name(NUMPY), attr="empty", ctx=ast.Load()),
                        args=[count] + ([ast.Attribute(value=_name(NUMPY), attr="int64",
                                                       ctx=ast.Load())] if ints else []),
                        keywords=[])

    def item_count(self, it):
        """The number of items ``for v in it`` runs over, as an expression."""
        fn = resolve(it.func, self.namespace, self.locals) if isinstance(it, ast.Call) else MISSING
        if fn is range and 1 <= len(it.args) <= 3:
            start, stop, step = _range_parts(it.args)
            if step is None or step == 0:
                raise self.error(it, "np.array of a comprehension over a range needs a "
                                     "constant step")
            return _range_count(start, stop, step)
        if fn in (enumerate, reversed) and it.args:
            return self.item_count(it.args[0])
        if fn is zip and it.args:
            return ast.Call(func=_name("min"), args=[self.item_count(a) for a in it.args],
                            keywords=[])
        return ast.Call(func=_name("len"), args=[it], keywords=[])

    def outer_names(self) -> set:
        """Names the function binds outside comprehensions, and its parameters."""
        if self._outer_names is None:
            inner = {id(n) for c in nodes(self.src.tree)
                     if isinstance(c, (ast.GeneratorExp, ast.ListComp, ast.SetComp,
                                       ast.DictComp)) for g in c.generators
                     for n in nodes(g.target)}
            self._outer_names = set(self.params) | {
                n.id for n in nodes(self.src.tree) if isinstance(n, ast.Name)
                and id(n) not in inner}
        return self._outer_names

    def test_atom(self, e, out):
        """A branch condition as a name (``if not t`` is kept as is)."""
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
            inner = self.atom(e.operand, out, force_temp=True)
            t = self.temp("c")
            self.assign(out, t, ir.mark(ast.UnaryOp(op=ast.Not(), operand=inner), ("unary", "Not")))
            return _name(t)
        return self.atom(e, out, force_temp=True, hint="c")

    def float_literal(self, e):
        """``float("inf")``, ``float("-inf")``, ``float("nan")``, ``float("1.5")``
        (a running minimum's seed, as Numba compiles it): the number itself."""
        if isinstance(e, ast.Call) and len(e.args) == 1 and not e.keywords and \
                isinstance(e.args[0], ast.Constant) and isinstance(e.args[0].value, str) and \
                resolve(e.func, self.namespace, self.locals) is float:
            try:
                return ast.copy_location(ast.Constant(float(e.args[0].value)), e)
            except ValueError:
                raise self.error(e.args[0], f"float({e.args[0].value!r}) is not a number: "
                                            f"'inf', '-inf', 'nan' or digits are") from None
        return e

    def atom(self, e, out, force_temp=False, hint="t"):
        """Evaluate ``e`` into a name or constant."""
        e = self.float_literal(e)
        self.check_expr(e)
        if isinstance(e, ast.Constant):
            param = ir.STATIC_PARAM(e)
            if param is not None:
                raise self.error(e, f"argument '{param}' is {e.value!r}, which is supported "
                                    f"only in the test of an 'if' (if {param} == \"...\":, "
                                    f"if {param} is None:), not as a value here")
            if isinstance(e.value, str) or e.value is None:
                raise self.error(e, f"unsupported constant {e.value!r}: a string or None is "
                                    f"supported as the value of a parameter, in the test of "
                                    f"an 'if' (if mode == \"sum\":, if w is None:)")
            if not isinstance(e.value, (int, float, bool)):
                raise self.error(e, f"unsupported constant {e.value!r}")
            return ast.Constant(e.value)
        if isinstance(e, ast.Name) and e.id in self.locals:
            return _name(e.id)
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) \
                and isinstance(e.operand, ast.Constant) \
                and isinstance(e.operand.value, (int, float)):
            return ast.Constant(-e.operand.value)
        prim = self.prim(e, out)
        if ir.PRIM(prim) == ("const",) and not force_temp:
            return prim
        if ir.PRIM(prim) == ("copy",) and not force_temp:
            return _name(prim.id)
        t = self.temp(hint)
        self.assign(out, t, prim)
        return _name(t)

    def prim(self, e, out):
        """Evaluate ``e`` to one primitive expression over atoms."""
        e = self.float_literal(e)
        self.check_expr(e)
        if isinstance(e, ast.Constant):
            return ir.mark(self.atom(e, out), ("const",))
        if isinstance(e, ast.Name):
            if e.id in self.locals:
                return ir.mark(_name(e.id), ("copy",))
            return self.global_value(e)
        if isinstance(e, ast.BinOp):
            if isinstance(e.op, ast.Pow):
                e = _float_power(e)
            left = self.atom(e.left, out)
            # ``x[i] * x[i]``: a read with no side effect, evaluated once (its
            # adjoint is then one contribution, as for ``x[i] ** 2``)
            right = left if _pure(e.left) and ast.dump(e.left) == ast.dump(e.right) \
                else self.atom(e.right, out)
            return ir.mark(ast.BinOp(left=left, op=e.op, right=right),
                         ("binop", type(e.op).__name__))
        if isinstance(e, ast.UnaryOp):
            if isinstance(e.op, ast.UAdd) and isinstance(e.operand, ast.Constant):
                return self.prim(e.operand, out)
            operand = self.atom(e.operand, out)
            if isinstance(operand, ast.Constant) and isinstance(e.op, ast.USub):
                return ir.mark(ast.Constant(-operand.value), ("const",))
            return ir.mark(ast.UnaryOp(op=e.op, operand=operand), ("unary", type(e.op).__name__))
        if isinstance(e, ast.Compare):
            if len(e.ops) == 1:
                left = self.atom(e.left, out)
                right = self.atom(e.comparators[0], out)
                return ir.mark(ast.Compare(left=left, ops=e.ops, comparators=[right]), ("compare",))
            # a < b < c  ->  (a < b) and (b < c), with b evaluated once
            parts = []
            left = e.left
            for op, right in zip(e.ops, e.comparators):
                parts.append(ast.Compare(left=left, ops=[op], comparators=[right]))
                left = right
            return self.prim(ast.BoolOp(op=ast.And(), values=parts), out)
        if isinstance(e, ast.BoolOp):
            return self.boolop(e, out)
        if isinstance(e, ast.IfExp):
            return self.ifexp(e, out)
        if isinstance(e, ast.Call):
            return self.call(e, out)
        if isinstance(e, ast.Subscript) and any(
                _is_new_axis(p) for p in (e.slice.elts if isinstance(e.slice, ast.Tuple)
                                          else [e.slice])):
            return self.new_axes(e, out)
        if isinstance(e, ast.Subscript):
            if isinstance(e.value, ast.Name) and e.value.id in self.locals:
                base = _name(e.value.id)
            else:
                base = self.atom(e.value, out)
            index = self.index(e.slice, out)
            return ir.mark(ast.Subscript(value=base, slice=index, ctx=ast.Load()), ("subscript",))
        if isinstance(e, ast.Attribute):
            obj = resolve(e, self.namespace, self.locals)
            if obj is not MISSING:
                return self.global_value(e)
            if e.attr not in ARRAY_ATTRIBUTES:
                raise self.error(e, f"unsupported attribute '{ast.unparse(e)}': arrays have "
                                    f"{', '.join(sorted(ARRAY_ATTRIBUTES))}; objects and "
                                    f"namedtuples are not supported (pass their fields as "
                                    f"arguments)")
            base = self.atom(e.value, out)
            return ir.mark(ast.Attribute(value=base, attr=e.attr, ctx=ast.Load()), ("attr", e.attr))
        if isinstance(e, ast.Tuple):
            elts = [self.atom(x, out) for x in e.elts]
            return ir.mark(ast.Tuple(elts=elts, ctx=ast.Load()), ("tuple",))
        if isinstance(e, ast.List) and self.tapes and not e.elts:
            return ir.mark(ast.List(elts=[], ctx=ast.Load()), ("list",))
        raise self.error(e, f"unsupported expression '{type(e).__name__}'")

    def new_axes(self, e, out):
        """``x[:, None]``, ``x[None, :]``, ``X[:, None, :]``, ``x[1:, None]``: the
        index without its new axes, then ``np.expand_dims`` at each new axis's
        place in the result (a slice keeps its axis, an integer drops it).
        With other indices (names, which may be index arrays) the places would
        depend on their types: refused."""
        parts = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
        dots = [k for k, p in enumerate(parts) if isinstance(p, ast.Constant)
                and p.value is Ellipsis]
        if len(dots) > 1 or not all(
                _is_new_axis(p) or isinstance(p, ast.Slice) or isinstance(p, ast.Constant)
                and (type(p.value) is int or p.value is Ellipsis) for p in parts):
            raise self.error(e, "a new axis in an index (None, np.newaxis) is supported with "
                                "slices, integer constants and one '...' only (x[:, None], "
                                "x[None, 1:], x[..., None]); else use np.expand_dims(x, axis) "
                                "or x.reshape(...)")
        rest = [p for p in parts if not _is_new_axis(p)]
        if rest and all(isinstance(p, ast.Constant) and p.value is Ellipsis for p in rest):
            rest = []                                       # x[None, ...] is x with an axis
        value = e.value if not rest else ast.Subscript(
            value=e.value, slice=rest[0] if len(rest) == 1 else ast.Tuple(elts=rest,
                                                                          ctx=ast.Load()),
            ctx=ast.Load())
        # places of the new axes before '...' counted from the front, after it from the
        # back (negative, the rightmost first: each counts the axes to its right)
        front = parts[:dots[0]] if dots else parts
        back = parts[dots[0] + 1:] if dots else []
        places, k = [], 0
        for p in front:
            if _is_new_axis(p):
                places.append(k)
            if not (isinstance(p, ast.Constant) and type(p.value) is int):
                k += 1
        k = 0
        for p in reversed(back):
            if _is_new_axis(p):
                places.append(-k - 1)
            if not (isinstance(p, ast.Constant) and type(p.value) is int):
                k += 1
        atom = self.atom(ast.copy_location(value, e), out)
        for place in places:
            call = ast.copy_location(ast.Call(
                func=ast.Attribute(value=_name("np"), attr="expand_dims", ctx=ast.Load()),
                args=[atom, ast.Constant(place)], keywords=[]), e)
            t = self.temp()
            self.assign(out, t, self.call_object(call, np.expand_dims, out))
            atom = _name(t)
        return ir.mark(atom, ("copy",))

    def boolop(self, e, out):
        # short-circuit evaluation, as Python does: later operands only when needed
        t = self.temp("c")
        first = self.atom(e.values[0], out)
        self.assign(out, t, ir.mark(first, ("copy",) if isinstance(first, ast.Name) else ("const",)))
        rest = e.values[1:]
        holder = out
        for v in rest:
            branch = []
            a = self.atom(v, branch)
            self.assign(branch, t, ir.mark(a, ("copy",) if isinstance(a, ast.Name) else ("const",)))
            test = _name(t) if isinstance(e.op, ast.And) else \
                ast.UnaryOp(op=ast.Not(), operand=_name(t))
            node = ast.If(test=test, body=branch, orelse=[])
            self.emit(holder, node, ir.Kind.IF)
            holder = branch
        return ir.mark(_name(t), ("copy",))

    def ifexp(self, e, out):
        truth = static_truth(e.test)
        if truth is not None:
            return self.prim(e.body if truth else e.orelse, out)
        if self.values_unknown:
            e = ast.copy_location(ast.IfExp(test=without_flag_tests(e.test, self.params),
                                            body=e.body, orelse=e.orelse), e)
        test = self.test_atom(e.test, out)
        t = self.temp()
        then, orelse = [], []
        self.assign_to_name(t, e.body, then)
        self.assign_to_name(t, e.orelse, orelse)
        self.emit(out, ast.If(test=test, body=then, orelse=orelse), ir.Kind.IF)
        return ir.mark(_name(t), ("copy",))

    def global_value(self, e):
        obj = resolve(e, self.namespace, self.locals)
        text = ast.unparse(e)
        if obj is MISSING:
            raise self.error(e, f"name '{text}' is not defined")
        if isinstance(obj, bool) or isinstance(obj, (int, float)) and not isinstance(obj, np.ndarray):
            return ir.mark(ast.Constant(obj), ("const",))
        if isinstance(obj, (np.floating, np.integer)):
            return ir.mark(ast.Constant(obj.item()), ("const",))
        if isinstance(obj, type) and issubclass(obj, np.generic) or isinstance(obj, np.dtype):
            dt = np.dtype(obj)
            if dt.kind not in "fiub":
                # (complex arrays were typed as inactive: a zero gradient)
                raise self.error(e, f"unsupported dtype {text} (sourcediff differentiates "
                                    "real float64/float32 arrays)")
            return ir.mark(ast.Attribute(value=_name("np"), attr=dt.name, ctx=ast.Load()),
                         ("dtype", dt))
        if obj is float or obj is int or obj is bool:
            return ir.mark(_name(obj.__name__), ("dtype", np.dtype(obj)))
        if isinstance(obj, np.ndarray):
            name = f"_global_{text.replace('.', '_')}"
            self.globals_used[name] = obj
            return ir.mark(_name(name), ("global",))
        if isinstance(obj, tuple) and all(isinstance(v, (int, float)) for v in obj):
            return ir.mark(ast.Tuple(elts=[ast.Constant(v) for v in obj], ctx=ast.Load()),
                         ("tuple",))
        raise self.error(e, f"unsupported use of global '{text}' ({type(obj).__name__})")

    def inline(self, e):
        """Copy an integer index expression, resolving globals to constants."""
        if isinstance(e, ast.Name):
            if e.id in self.locals:
                return _name(e.id)
            g = self.global_value(e)
            if ir.PRIM(g) not in (("const",), ("global",)):   # a number, an array's shape
                raise self.error(e, f"'{e.id}' cannot be used in an index")
            return g
        if isinstance(e, ast.Constant):
            return ast.Constant(e.value)
        if isinstance(e, ast.BinOp):
            return ast.BinOp(left=self.inline(e.left), op=e.op, right=self.inline(e.right))
        if isinstance(e, ast.UnaryOp):
            return ast.UnaryOp(op=e.op, operand=self.inline(e.operand))
        if isinstance(e, ast.Call):
            fn = resolve(e.func, self.namespace, self.locals)
            return ast.Call(func=_name(fn.__name__), args=[self.inline(a) for a in e.args],
                            keywords=[])
        if isinstance(e, ast.Attribute):
            return ast.Attribute(value=self.inline(e.value), attr=e.attr, ctx=ast.Load())
        if isinstance(e, ast.Subscript):
            return ast.Subscript(value=self.inline(e.value), slice=self.inline(e.slice),
                                 ctx=ast.Load())
        if isinstance(e, ast.Tuple):
            return ast.Tuple(elts=[self.inline(x) for x in e.elts], ctx=ast.Load())
        raise self.error(e, "unsupported index expression")

    def index(self, sl, out):
        if _is_new_axis(sl):       # (a read with new axes goes through new_axes)
            raise self.error(sl, "a new axis in an index is supported in reads only "
                                 "(x[:, None]); use np.expand_dims(x, axis) or x.reshape(...)")
        if isinstance(sl, ast.List) or isinstance(sl, ast.Name) and sl.id not in self.locals \
                and isinstance(resolve(sl, self.namespace, self.locals), np.ndarray):
            # an index array (x[[0, 2]], x[IDX]) gets a name, so its type is known
            t = self.temp("k")
            self.assign(out, t, self.index_list(sl) if isinstance(sl, ast.List)
                        else self.global_value(sl))
            return _name(t)
        if isinstance(sl, ast.Tuple):      # (each part checked on its own: x[:, [1, 2]])
            return ast.Tuple(elts=[self.index(x, out) for x in sl.elts], ctx=ast.Load())
        self.check_expr(sl)
        if isinstance(sl, ast.Constant) and isinstance(sl.value, bool):
            # NumPy reads x[True] as x[np.newaxis] (x[False]: an empty new axis), not x[1]
            raise self.error(sl, f"a bool index (x[{sl.value}]) adds an axis in NumPy, it does "
                                 "not pick an element; write x[None] for a new axis, or an int")
        if isinstance(sl, ast.Constant) and sl.value is Ellipsis:
            return ast.Constant(Ellipsis)       # (written out once types are known)
        if isinstance(sl, ast.Constant) and isinstance(sl.value, str):
            raise self.error(sl, f"dicts are not supported (a lookup with the string key "
                                 f"{sl.value!r}); pass the values as separate arguments or "
                                 "as a tuple")
        if isinstance(sl, ast.Slice):
            parts = {}
            for k in ("lower", "upper", "step"):
                v = getattr(sl, k)
                parts[k] = None if v is None else self.index(v, out)
            return ast.Slice(**parts)
        if _is_int_expr(sl, self.namespace, self.locals):
            return self.inline(sl)
        return self.atom(sl, out, force_temp=True, hint="k")

    def item(self, e, x, out):
        """``x.item()``: the one element of a size-1 array (``item_of``); ``x.item(k)``
        the element at flat index ``k``, ``np.ravel(x)[k]``; ``x.item(i, j)`` is ``x[i, j]``."""
        if e.keywords:
            raise self.error(e, "'.item()' takes no keywords")
        if not e.args:
            return self.call_object(_call_like(e, [x], func=_name("item_of")), item_of, out)
        if len(e.args) == 1:
            flat = ast.Call(func=ast.Attribute(value=_name("np"), attr="ravel", ctx=ast.Load()),
                            args=[x], keywords=[])
            read = ast.Subscript(value=ast.copy_location(flat, e), slice=e.args[0],
                                 ctx=ast.Load())
        else:
            read = ast.Subscript(value=x, slice=ast.Tuple(elts=list(e.args), ctx=ast.Load()),
                                 ctx=ast.Load())
        return self.prim(ast.copy_location(read, e), out)

    def index_list(self, sl):
        """``x[[0, 2, 2]]``: the integer list becomes a constant index array."""
        try:
            values = ast.literal_eval(sl)
        except ValueError:
            values = None
        if not values or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise self.error(sl, "an index list must hold integer constants, like x[[0, 2]]")
        name = f"_index{len(self.globals_used)}"
        self.globals_used[name] = np.array(values, dtype=np.int64)
        return ir.mark(_name(name), ("global",))

    def keyword_atom(self, k, what, out):
        """A keyword argument's value; a constant outside the subset is refused
        naming the keyword (``axis=None`` of ``np.sum``)."""
        v = k.value
        if isinstance(v, ast.Constant) and (v.value is None or
                                            not isinstance(v.value, (int, float, bool))):
            raise self.error(v, f"unsupported value {v.value!r} for keyword '{k.arg}=' "
                                f"of '{what}'")
        return self.atom(v, out)

    def string_dtype(self, node, what):
        """``'float64'`` where a dtype goes: the dtype it names."""
        try:
            dt = np.dtype(node.value)
        except TypeError:
            dt = None
        if dt is None or dt.kind not in "fiub":
            raise self.error(node, f"'{what}': unsupported dtype {node.value!r} "
                                   "(use a NumPy dtype like np.float64 or 'float64')")
        return ir.mark(ast.Attribute(value=_name("np"), attr=dt.name, ctx=ast.Load()),
                     ("dtype", dt))

    def dtype_atom(self, a, out, what):
        builtin = {float: "float64", int: "int64", bool: "bool_"}
        if isinstance(a, ast.Name) and resolve(a, self.namespace, self.locals) in builtin:
            # ``x.astype(float)``: NumPy's float64 (Numba takes no Python type here)
            a = ast.copy_location(ast.Attribute(
                value=_name("np"), attr=builtin[resolve(a, self.namespace, self.locals)],
                ctx=ast.Load()), a)
        if not _is_str(a):
            return self.atom(a, out)
        t = self.temp()
        self.assign(out, t, self.string_dtype(a, what))
        return _name(t)

    def call(self, e, out):
        if any(isinstance(a, ast.Starred) for a in e.args) or \
                any(k.arg is None for k in e.keywords):
            raise self.error(e, "star-arguments in calls are not supported")
        func = e.func
        if isinstance(func, ast.Attribute) and func.attr == "pop" and not e.args \
                and isinstance(func.value, ast.Name) and func.value.id in self.lists:
            node = ast.Call(func=ast.Attribute(value=_name(func.value.id), attr="pop",
                                               ctx=ast.Load()), args=[], keywords=[])
            return ir.mark(node, ("method", "pop"))
        # array methods: x.sum(axis=0), x.reshape(3, 4), x.copy(), GRID.copy() of a global
        if isinstance(func, ast.Attribute) and (
                resolve(func, self.namespace, self.locals) is MISSING or
                isinstance(resolve(func.value, self.namespace, self.locals), np.ndarray)):
            base_obj = resolve(func.value, self.namespace, self.locals)
            if base_obj is MISSING or not is_module(base_obj):
                if func.attr in ARRAY_METHODS_TO_NUMPY:
                    fn = ARRAY_METHODS_TO_NUMPY[func.attr]
                    new = ast.Call(func=ast.Attribute(value=_name("np"), attr=fn.__name__),
                                   args=[func.value] + list(e.args), keywords=e.keywords)
                    ast.copy_location(new, e)
                    return self.call_object(new, fn, out)
                if func.attr in ARRAY_METHODS:
                    base = self.atom(func.value, out)
                    args = [self.dtype_atom(a, out, f".{func.attr}()")
                            if func.attr == "astype" else self.atom(a, out) for a in e.args]
                    kws = [ast.keyword(arg=k.arg, value=self.keyword_atom(
                        k, f".{func.attr}()", out)) for k in e.keywords]
                    node = ast.Call(func=ast.Attribute(value=base, attr=func.attr, ctx=ast.Load()),
                                    args=args, keywords=kws)
                    return ir.mark(node, ("method", func.attr))
                if func.attr == "item":
                    return self.item(e, func.value, out)
                if func.attr in DICT_METHODS:
                    raise self.error(e, f"dicts are not supported (method '.{func.attr}()')")
                raise self.error(e, f"unsupported method '.{func.attr}()'")
        fn = resolve(func, self.namespace, self.locals)
        if self.comprehension_call(e) is not None:
            return self.comprehension(e, fn, out)
        if fn is MISSING:
            text = ast.unparse(func)
            if isinstance(func, ast.Name) and func.id in self.locals:
                raise self.error(e, f"cannot call local variable '{text}'")
            if isinstance(func, ast.Call):
                inner = resolve(func.func, self.namespace, self.locals)
                hint = ""
                if getattr(inner, "__module__", "").startswith("sourcediff."):
                    hint = ("; transform the transform instead (sd.grad(sd.grad(f)), "
                            "sd.jvp(sd.grad(f)), sd.hessian(f), sd.hvp(f))")
                raise self.error(e, f"cannot differentiate a call of the result of a call "
                                    f"('{text}(...)'){hint}")
            raise self.error(e, f"name '{text}' is not defined")
        if fn is check_assertion and len(e.args) == 2 and isinstance(e.args[1], ast.Constant) \
                and isinstance(e.args[1].value, str) and not e.keywords:
            # an assert's check in generated code transformed again (a Hessian):
            # its message stays a string
            node = ast.Call(func=_name(check_assertion.__name__),
                            args=[self.atom(e.args[0], out), ast.Constant(e.args[1].value)],
                            keywords=[])
            return ir.mark(node, ("call", check_assertion))
        return self.call_object(e, fn, out)

    def clip_bounds(self, e, text):
        """``np.clip(x, lo, hi)`` as ``np.minimum(np.maximum(x, lo), hi)``; a bound
        that is None (or not passed) is no bound: ``np.clip(x, 0.0, None)``."""
        parts = dict(zip(("x", "lo", "hi"), e.args))
        for k in e.keywords:
            key = {"a": "x", "a_min": "lo", "min": "lo", "a_max": "hi", "max": "hi"}.get(k.arg)
            if key is None or key in parts:
                raise self.error(e, f"{text}(): unsupported argument '{k.arg}'")
            parts[key] = k.value
        if "x" not in parts or len(e.args) > 3:
            raise self.error(e, f"{text}() takes an array and its bounds")
        value = parts["x"]
        for key, bound in (("lo", "maximum"), ("hi", "minimum")):
            limit = parts.get(key)
            if limit is not None and not (isinstance(limit, ast.Constant) and limit.value is None):
                value = ast.copy_location(ast.Call(func=ast.Attribute(
                    value=_name("np"), attr=bound, ctx=ast.Load()), args=[value, limit],
                    keywords=[]), e)
        if value is parts["x"]:      # no bound at all: a copy, as NumPy returns
            value = ast.copy_location(ast.Call(func=ast.Attribute(
                value=_name("np"), attr="copy", ctx=ast.Load()), args=[value], keywords=[]), e)
        return value

    def given_arguments(self, e, text, names) -> dict:
        """The arguments of call ``e`` by parameter name (``names``, in order):
        positional ones, then keywords; another name, one given twice or more
        positional arguments than names is refused."""
        said = ", ".join(names[:-1]) + " and " + names[-1]
        if len(e.args) > len(names):
            raise self.error(e, f"{text}() takes {said}")
        given = dict(zip(names, e.args))
        for k in e.keywords:
            if k.arg not in names or k.arg in given:
                raise self.error(e, f"{text}() takes {said}")
            given[k.arg] = k.value
        return given

    def norm_along(self, e, text, out):
        """``np.linalg.norm(x, ord, axis)`` with an axis: vector norms along it,
        written with the primitives (``ord`` None or 2: the root of the sum of
        squares; 1: the sum of magnitudes; ``np.inf``: the largest one)."""
        parts = self.given_arguments(e, text, ("x", "ord", "axis", "keepdims"))
        order = parts.get("ord")
        kind = None
        if isinstance(order, ast.Constant) and order.value == "fro" and isinstance(
                parts["axis"], (ast.Tuple, ast.List)):
            order = None
        if order is None or isinstance(order, ast.Constant) and order.value in (None, 2):
            kind = 2
        elif isinstance(order, ast.Constant) and order.value == 1:
            kind = 1
        elif resolve(order, self.namespace, self.locals) == np.inf:
            kind = "inf"
        if kind is None:
            raise self.error(order, f"{text}() along an axis is supported for ord None, 1, 2 "
                                    "and np.inf")
        try:
            one_axis = type(ast.literal_eval(parts["axis"])) is int
        except ValueError:
            one_axis = False
        if not one_axis and order is not None and not (isinstance(order, ast.Constant)
                                                       and order.value is None):
            # two axes make matrix norms, where ord 1, 2 and inf are other functions
            # (and an axis held in a name may be two)
            raise self.error(order, f"{text}() with ord is supported along one axis written "
                                    "as an integer; over two axes as the Frobenius norm only "
                                    "(ord None or 'fro')")
        x = self.atom(parts["x"], out)
        keywords = [ast.keyword(arg="axis", value=parts["axis"])]
        if "keepdims" in parts:
            keywords.append(ast.keyword(arg="keepdims", value=parts["keepdims"]))

        def np_call(name, *args, kws=()):
            return ast.Call(func=ast.Attribute(value=_name("np"), attr=name, ctx=ast.Load()),
                            args=list(args), keywords=list(kws))
        if kind == 2:
            value = np_call("sqrt", np_call("sum", ast.BinOp(left=x, op=ast.Mult(), right=x),
                                            kws=keywords))
        else:
            value = np_call("sum" if kind == 1 else "max", np_call("abs", x), kws=keywords)
        return ast.fix_missing_locations(ast.copy_location(value, e))

    def binding_sites(self, name) -> list:
        """The statements and expressions binding ``name`` in the function
        (one walk of it, the first time any name is asked for)."""
        if self._sites is None:
            self._sites = _binding_sites(self.src.tree)
        return self._sites.get(name, [])

    def constant_tuple(self, e):
        """The tuple of integers written out that a local name is bound to once
        and never again (``ax = (0, 1)``; ``np.sum(x, axis=ax)``), as a new
        node; None for anything else.  An axis passed by name is then the
        constant the reduction rules read."""
        if not isinstance(e, ast.Name) or e.id in self.params:
            return None
        found = self.binding_sites(e.id)
        if len(found) != 1 or not isinstance(found[0], ast.Assign) or \
                len(found[0].targets) != 1 or not isinstance(found[0].targets[0], ast.Name):
            return None
        value = found[0].value
        try:
            literal = ast.literal_eval(value)
        except ValueError:
            return None
        if not (isinstance(value, ast.Tuple) and all(type(v) is int for v in literal)):
            return None
        return ast.copy_location(copy.deepcopy(value), e)

    def tuple_length(self, e) -> int | None:
        """The length of the tuples a local name is bound to, when every binding
        of it is a tuple written out (``t = (a, b, c)``) of one length."""
        if not isinstance(e, ast.Name) or e.id in self.params:
            return None
        lengths = set()
        for n in self.binding_sites(e.id):
            if not (isinstance(n, ast.Assign) and len(n.targets) == 1
                    and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Tuple)
                    and not any(isinstance(v, ast.Starred) for v in n.value.elts)):
                return None
            lengths.add(len(n.value.elts))
        return lengths.pop() if len(lengths) == 1 else None

    def builtin_reduction(self, e, fn):
        """``max(x)``, ``min(x)``, ``sum(x)`` and ``sum(x, start)`` of one
        iterable (a comprehension is taken before): of a tuple or list written
        out, the pairwise calls or the sum of the items; of an array, what
        Python computes by iterating over its first axis: ``np.max(x)``,
        ``np.min(x)`` (Python refuses a 2-d array), ``np.sum(x, axis=0)`` (a
        number of a 1-d array, the row of sums of a 2-d one)."""
        items = e.args[0]
        length = self.tuple_length(items)
        if length:       # a name only ever bound to tuples of one length: its elements
            items = ast.Tuple(elts=[ast.Subscript(value=_name(items.id), slice=ast.Constant(k),
                                                  ctx=ast.Load()) for k in range(length)],
                              ctx=ast.Load())
        if isinstance(items, (ast.Tuple, ast.List)) and not any(
                isinstance(v, ast.Starred) for v in items.elts):
            if not items.elts:
                raise self.error(e, f"{ast.unparse(e.func)}() of an empty sequence")
            acc = items.elts[0]
            for v in items.elts[1:]:
                acc = ast.Call(func=e.func, args=[acc, v], keywords=[]) if fn is not sum \
                    else ast.BinOp(left=acc, op=ast.Add(), right=v)
        else:
            name = {max: "max", min: "min", sum: "sum"}[fn]
            acc = ast.Call(func=ast.Attribute(value=_name("np"), attr=name, ctx=ast.Load()),
                           args=[items], keywords=[ast.keyword(
                               arg="axis", value=ast.Constant(0))] if fn is sum else [])
        if fn is sum and len(e.args) == 2:
            acc = ast.BinOp(left=e.args[1], op=ast.Add(), right=acc)
        return ast.fix_missing_locations(ast.copy_location(acc, e))

    def trapezoid(self, e, text):
        """``np.trapezoid(y, x)`` / ``(y, dx=h)`` along the last axis, written with
        ``np.diff``, slices and ``np.sum`` (``x`` a 1-d array of the samples, or
        ``dx`` a spacing); an ``axis`` other than -1 is refused."""
        kw = {k.arg: k.value for k in e.keywords}
        names = ["y", "x", "dx", "axis"][:len(e.args)]
        if set(kw) - {"x", "dx", "axis"} or set(kw) & set(names) or not 1 <= len(e.args) <= 4:
            return None
        given = dict(zip(names, e.args)) | kw
        axis = given.get("axis")
        if axis is not None and not (isinstance(axis, ast.UnaryOp) and isinstance(
                axis.op, ast.USub) and isinstance(axis.operand, ast.Constant) and
                axis.operand.value == 1):
            raise self.error(axis, f"'{text}' is differentiated along the last axis only "
                                   "(axis=-1): move the axis last with np.moveaxis first")
        if given.get("x") is not None and given.get("dx") is not None:
            return None
        pair = "(__y[..., 1:] + __y[..., :-1])"
        template = f"np.sum(np.diff(__x) * {pair}, axis=-1) * 0.5" if given.get("x") \
            is not None else f"np.sum({pair}, axis=-1) * (0.5 * __dx)"
        parts = {"__y": given["y"], "__x": given.get("x"),
                 "__dx": given.get("dx", ast.Constant(1.0))}
        tree = ast.parse(template, mode="eval").body

        def put(value):
            return copy.deepcopy(parts[value.id]) if isinstance(value, ast.Name) and \
                value.id in parts else value
        for node in nodes(tree):
            for field, value in ast.iter_fields(node):
                if isinstance(value, list):
                    setattr(node, field, [put(v) for v in value])
                else:
                    setattr(node, field, put(value))
        return ast.fix_missing_locations(ast.copy_location(tree, e))

    def differences_as_slices(self, given, out):
        """``np.diff(a, n, axis)`` with ``n`` and ``axis`` integer constants, written as
        the signed sum of shifted slices along ``axis`` (passes/differences.py's
        ``terms``: ``a[:, 1:] - a[:, :-1]`` for axis 1, ``a[..., 2:] - 2 * a[..., 1:-1]
        + a[..., :-2]`` for n 2 along -1, the ellipsis filled in once the number of
        axes is known, passes/ellipsis.py): array operations with rules, and inside
        loops ones passes/lower.py reads element by element.  None for other
        arguments."""
        n = integer_constant(given.get("n"), 1)
        axis = integer_constant(given.get("axis"), -1)
        if n is None or axis is None or n < 1:
            return None

        def shifted(lower, upper):
            piece = ast.Slice(lower=None if lower is None else ast.Constant(lower),
                              upper=None if upper is None else ast.UnaryOp(
                                  op=ast.USub(), operand=ast.Constant(-upper)))
            if axis >= 0:
                parts = [*(ast.Slice() for _ in range(axis)), piece]
            else:
                parts = [ast.Constant(Ellipsis), piece, *(ast.Slice() for _ in range(-axis - 1))]
            return ast.Subscript(value=_name(x.id), ctx=ast.Load(), slice=parts[0]
                                 if len(parts) == 1 else ast.Tuple(elts=parts, ctx=ast.Load()))
        x = self.atom(given["a"], out, force_temp=not (isinstance(given["a"], ast.Name) and
                                                        given["a"].id in self.locals))
        total = None
        for coefficient, lower, upper in difference_terms(n):
            term = shifted(lower, upper)
            if abs(coefficient) != 1:
                term = ast.BinOp(left=ast.Constant(abs(coefficient)), op=ast.Mult(), right=term)
            total = term if total is None else ast.BinOp(
                left=total, op=ast.Add() if coefficient > 0 else ast.Sub(), right=term)
        return self.prim(ast.fix_missing_locations(ast.copy_location(total, given["a"])), out)

    def numpy_convenience(self, e, fn, text, out):
        """NumPy functions written with others that have rules (``np.median`` with
        a sort, ``np.diag_indices`` with aranges, ``np.sort(x, axis=-1)`` and
        ``np.linalg.norm(x, 'fro')`` as their defaults, norms along an axis);
        None when ``e`` is none of these."""
        repeated = self.repeated_list_call(e, fn)
        if repeated is not None:
            return self.call_object(repeated, np.full if repeated.func.attr == "full"
                                    else np.tile, out)
        if fn in (*REDUCTIONS, np.std, np.var, np.median) and e.args and \
                isinstance(e.args[0], (ast.List, ast.Tuple)):
            # np.max([a, b]): of the array NumPy makes of the list
            items = ast.copy_location(ast.Call(func=ast.Attribute(
                value=_name("np"), attr="array", ctx=ast.Load()), args=[e.args[0]],
                keywords=[]), e.args[0])
            return self.call_object(ast.copy_location(ast.Call(
                func=e.func, args=[items, *e.args[1:]], keywords=e.keywords), e), fn, out)
        if fn is np.vdot and len(e.args) == 2 and not e.keywords:
            # (real arrays: the sum of the products of their elements in order)
            flat = [ast.copy_location(ast.Call(func=ast.Attribute(
                value=_name("np"), attr="ravel", ctx=ast.Load()), args=[a], keywords=[]), a)
                for a in e.args]
            product = ast.copy_location(ast.BinOp(left=flat[0], op=ast.Mult(), right=flat[1]), e)
            return self.prim(ast.copy_location(ast.Call(func=ast.Attribute(
                value=_name("np"), attr="sum", ctx=ast.Load()), args=[product], keywords=[]),
                e), out)
        if fn is np.diff and (len(e.args) == 3 or any(k.arg == "axis" for k in e.keywords)) \
                and not {k.arg for k in e.keywords} - {"n", "axis"}:
            given = dict(zip(["a", "n", "axis"], e.args)) | {k.arg: k.value for k in e.keywords}
            sliced = self.differences_as_slices(given, out)
            if sliced is not None:
                return sliced
            # along an axis given as a value: moved last, differenced, moved back
            def np_call(name, *args):
                return ast.Call(func=ast.Attribute(value=_name("np"), attr=name,
                                                   ctx=ast.Load()), args=list(args), keywords=[])
            last = ast.UnaryOp(op=ast.USub(), operand=ast.Constant(1))
            # (contiguous: Numba's np.diff, in the tangent, takes contiguous arrays only)
            moved = ast.Call(func=ast.Attribute(
                value=np_call("moveaxis", given["a"], copy.deepcopy(given["axis"]), last),
                attr="copy", ctx=ast.Load()), args=[], keywords=[])
            diffed = np_call("diff", moved, *([given["n"]] if "n" in given else []))
            back = np_call("moveaxis", diffed, copy.deepcopy(last), copy.deepcopy(given["axis"]))
            return self.prim(ast.fix_missing_locations(ast.copy_location(back, e)), out)
        if fn is _TRAPEZOID and fn is not None:
            found = self.trapezoid(e, text)
            if found is not None:
                return self.prim(found, out)
        if fn is np.diag_indices and len(e.args) == 1 and not e.keywords:
            # (rows, columns) of the diagonal: integers, as np.triu_indices
            n = self.atom(e.args[0], out)
            rng = ast.copy_location(ast.Call(func=ast.Attribute(
                value=_name("np"), attr="arange", ctx=ast.Load()), args=[n], keywords=[]), e)
            t = self.to_temp(self.call_object(rng, np.arange, out), out)
            return self.prim(ast.copy_location(ast.Tuple(elts=[t, _name(t.id)],
                                                         ctx=ast.Load()), e), out)
        if fn is np.median and (len(e.args) == 1 and not e.keywords or
                                len(e.args) + len(e.keywords) == 2 and
                                {k.arg for k in e.keywords} <= {"axis"}):
            return self.prim(self.median(e, text, out), out)
        if fn is np.sort and len(e.args) + len(e.keywords) == 2 and (
                e.keywords and e.keywords[0].arg == "axis" or len(e.args) == 2):
            axis = e.keywords[0].value if e.keywords else e.args[1]
            try:
                last = ast.literal_eval(axis) == -1
            except ValueError:
                last = False
            if last:        # the default: the last axis
                return self.call_object(_call_like(e, e.args[:1]), fn, out)
        if fn is np.linalg.norm and (len(e.args) == 3 or any(k.arg == "axis" for k in e.keywords)):
            return self.prim(self.norm_along(e, text, out), out)
        if fn is np.rot90:
            return self.prim(self.rot90(e, text), out)
        if fn is np.isclose or fn is np.allclose:
            return self.prim(self.closeness(e, text, fn is np.allclose, out), out)
        if fn is np.repeat and (len(e.args) == 3 or any(k.arg == "axis" for k in e.keywords)):
            return self.repeat_along(e, text, out)
        if fn is np.tile and (len(e.args) == 2 or e.keywords) and isinstance(
                e.args[1] if len(e.args) == 2 else e.keywords[0].value, (ast.Tuple, ast.List)):
            return self.tile_axes(e, text, out)
        if fn is np.linalg.norm and self.vector_order(e) is not None:
            # a vector norm of a 1-d array: the norm along its only axis (as_vector
            # refuses other arrays, where ord names a matrix norm)
            x = self.to_temp(self.atom(e.args[0], out), out)
            guarded = self.to_temp(self.call_object(_call_like(e, [x], func=_name("as_vector")),
                                                    as_vector, out), out)
            along = _call_like(e, [guarded, self.vector_order(e)], axis=0)
            along.keywords += [k for k in e.keywords if k.arg == "keepdims"]
            return self.prim(self.norm_along(along, text, out), out)
        if fn is np.linalg.norm and len(e.args) + len(e.keywords) == 2 and [
                (k.arg, k.value.value) for k in e.keywords if isinstance(k.value, ast.Constant)
                ] + [(None, a.value) for a in e.args[1:] if isinstance(a, ast.Constant)] in (
                [("ord", "fro")], [(None, "fro")]):
            # the Frobenius norm: the 2-norm of the flattened array, the default
            return self.call_object(_call_like(e, e.args[:1]), fn, out)
        return None

    def gather_along(self, e, x, axis: int, index, out):
        """``x`` read at the integer array ``index`` along ``axis`` (a constant):
        the axis moved first, indexed, moved back; the adjoint scatter-adds."""
        def moveaxis(v, a, b):
            return ast.Call(func=ast.Attribute(value=_name("np"), attr="moveaxis",
                                               ctx=ast.Load()),
                            args=[v, ast.Constant(a), ast.Constant(b)], keywords=[])
        read = ast.Subscript(value=x if axis == 0 else moveaxis(x, axis, 0), slice=index,
                             ctx=ast.Load())
        value = read if axis == 0 else moveaxis(read, 0, axis)
        return self.to_temp(self.prim(ast.fix_missing_locations(ast.copy_location(value, e)),
                                      out), out)

    def axis_length(self, x, axis: int):
        return ast.Subscript(value=ast.Attribute(value=_name(x.id), attr="shape",
                                                 ctx=ast.Load()),
                             slice=ast.Constant(axis), ctx=ast.Load())

    def positions(self, e, length, op, by, out):
        """``np.arange(length) // by`` (each position ``by`` times) or ``% by``
        (the positions ``length // by`` times over): integers, not differentiated."""
        rng = ast.Call(func=ast.Attribute(value=_name("np"), attr="arange", ctx=ast.Load()),
                       args=[length], keywords=[])
        value = ast.BinOp(left=rng, op=op, right=by)
        return self.to_temp(self.prim(ast.fix_missing_locations(ast.copy_location(value, e)),
                                      out), out)

    def repeat_along(self, e, text, out):
        """``np.repeat(a, r, axis)`` with an int ``r`` and a constant axis: ``a`` read
        along the axis at ``arange(n * r) // r``."""
        given = self.given_arguments(e, text, ("a", "repeats", "axis"))
        try:
            axis = ast.literal_eval(given["axis"])
        except ValueError:
            axis = None
        if type(axis) is not int or "a" not in given or "repeats" not in given \
                or isinstance(given["repeats"], (ast.List, ast.Tuple)):
            raise self.error(e, f"{text}() along an axis is supported with an int number of "
                                "repeats and a constant axis")
        x = self.to_temp(self.atom(given["a"], out), out)
        r = self.atom(given["repeats"], out)
        length = ast.BinOp(left=self.axis_length(x, axis), op=ast.Mult(), right=ir.clone(r))
        index = self.positions(e, length, ast.FloorDiv(), ir.clone(r), out)
        return ir.mark(self.gather_along(e, x, axis, index, out), ("copy",))

    def tile_axes(self, e, text, out):
        """``np.tile(a, (r0, r1, ...))`` with constant ints, one per axis of ``a``
        from the last: ``a`` read along each axis at ``arange(n * r) % n``, after
        ``leading_axes`` gives ``a`` as many axes as ``reps`` has entries (as
        NumPy does)."""
        given = self.given_arguments(e, text, ("A", "reps"))
        try:
            reps = ast.literal_eval(given.get("reps"))
        except ValueError:
            reps = None
        if "A" not in given or not reps or not all(type(r) is int and r >= 0 for r in reps):
            raise self.error(e, f"{text}() is supported with reps an int or a tuple of "
                                "constant ints")
        x = self.to_temp(self.atom(given["A"], out), out)
        if len(reps) > 1:       # (NumPy puts axes in front of A to match reps)
            x = self.to_temp(self.call_object(_call_like(
                e, [x, ast.Constant(len(reps))], func=_name("leading_axes")), leading_axes,
                out), out)
        for j, r in enumerate(reps):
            if r == 1:
                continue
            axis = j - len(reps)
            n = self.to_temp(self.prim(self.axis_length(x, axis), out), out)
            length = ast.BinOp(left=_name(n.id), op=ast.Mult(), right=ast.Constant(r))
            index = self.positions(e, length, ast.Mod(), _name(n.id), out)
            x = self.gather_along(e, x, axis, index, out)
        if all(r == 1 for r in reps):       # (a copy, as NumPy's; a.shape[-k]: as many axes)
            self.to_temp(self.prim(self.axis_length(x, -len(reps)), out), out)
            return self.call_object(_call_like(e, [x], func=ast.Attribute(
                value=_name("np"), attr="copy", ctx=ast.Load())), np.copy, out)
        return ir.mark(x, ("copy",))

    def median(self, e, text, out):
        """``np.median(a)``: the middle of the sorted flattened array, one element
        or the mean of two; ``np.median(a, axis)``: the same along ``axis`` (the
        axis moved last, sorted, the middle of each row)."""
        given = self.given_arguments(e, text, ("a", "axis"))

        def np_call(name, *args):
            return ast.copy_location(ast.Call(func=ast.Attribute(
                value=_name("np"), attr=name, ctx=ast.Load()), args=list(args), keywords=[]), e)
        axis = given.get("axis")
        if axis is None or isinstance(axis, ast.Constant) and axis.value is None:
            rows, pick = np_call("ravel", given["a"]), (lambda k: k)
        else:
            rows = np_call("moveaxis", given["a"], axis, ast.Constant(-1))

            def pick(k):        # s[..., k]
                return ast.Tuple(elts=[ast.Constant(Ellipsis), k], ctx=ast.Load())
        s = self.to_temp(self.call_object(np_call("sort", self.atom(rows, out)), np.sort,
                                          out), out)
        n = ast.Subscript(value=ast.Attribute(value=_name(s.id), attr="shape", ctx=ast.Load()),
                          slice=ast.Constant(-1), ctx=ast.Load())
        lo = ast.BinOp(left=ast.BinOp(left=n, op=ast.Sub(), right=ast.Constant(1)),
                       op=ast.FloorDiv(), right=ast.Constant(2))
        hi = ast.BinOp(left=copy.deepcopy(n), op=ast.FloorDiv(), right=ast.Constant(2))
        mid = ast.BinOp(left=ast.Constant(0.5), op=ast.Mult(), right=ast.BinOp(
            left=ast.Subscript(value=_name(s.id), slice=pick(lo), ctx=ast.Load()), op=ast.Add(),
            right=ast.Subscript(value=_name(s.id), slice=pick(hi), ctx=ast.Load())))
        return ast.fix_missing_locations(ast.copy_location(mid, e))

    def closeness(self, e, text, whole, out):
        """``np.isclose(a, b, rtol, atol, equal_nan)`` as NumPy defines it,
        ``|a - b| <= atol + rtol |b|`` or ``a == b`` (equal infinities), or both
        NaN where ``equal_nan``; ``np.allclose``: all of them.  (Numba's own
        np.isclose broadcasts two arrays that both need it wrongly: a column
        against a row.)"""
        given = self.given_arguments(e, text, ("a", "b", "rtol", "atol", "equal_nan"))
        if "a" not in given or "b" not in given:
            raise self.error(e, f"{text}() takes a and b")
        try:
            equal_nan = ast.literal_eval(given["equal_nan"]) if "equal_nan" in given else False
        except ValueError:
            equal_nan = None
        if type(equal_nan) is not bool:
            raise self.error(e, f"{text}(): equal_nan must be True or False, written out")
        a, b = (self.close_operand(given[k], out) for k in ("a", "b"))

        def np_call(name, *args):
            return ast.Call(func=ast.Attribute(value=_name("np"), attr=name, ctx=ast.Load()),
                            args=list(args), keywords=[])
        atol, rtol = (self.close_operand(given.get(k, ast.Constant(v)), out)
                      for k, v in (("atol", 1e-08), ("rtol", 1e-05)))
        bound = ast.BinOp(left=atol, op=ast.Add(),
                          right=ast.BinOp(left=rtol,
                                          op=ast.Mult(), right=np_call("abs", copy.deepcopy(b))))
        near = ast.Compare(left=np_call("abs", ast.BinOp(left=copy.deepcopy(a), op=ast.Sub(),
                                                          right=copy.deepcopy(b))),
                           ops=[ast.LtE()], comparators=[bound])
        equal = ast.Compare(left=copy.deepcopy(a), ops=[ast.Eq()], comparators=[copy.deepcopy(b)])
        close = np_call("logical_or", near, equal)
        if equal_nan:
            close = np_call("logical_or", close, np_call(
                "logical_and", np_call("isnan", copy.deepcopy(a)), np_call("isnan", copy.deepcopy(b))))
        return ast.copy_location(np_call("all", close) if whole else close, e)

    def close_operand(self, e, out):
        """An argument of ``np.isclose``: a constant as written, else a temporary
        (read more than once)."""
        if isinstance(e, ast.Constant):
            return ast.Constant(e.value)
        return _name(self.to_temp(self.atom(e, out), out).id)

    def rot90(self, e, text):
        """``np.rot90(m, k, axes)`` with constant ``k`` and ``axes``, as NumPy
        writes it: flips and a swap of the two axes."""
        given = self.given_arguments(e, text, ("m", "k", "axes"))
        try:
            turns = ast.literal_eval(given["k"]) if "k" in given else 1
            axes = tuple(ast.literal_eval(given["axes"])) if "axes" in given else (0, 1)
        except (ValueError, TypeError):
            turns = axes = None
        if "m" not in given or len(e.args) > 3 or type(turns) is not int or \
                len(axes) != 2 or not all(type(a) is int for a in axes):
            raise self.error(e, f"{text}() is supported with constant k and axes")

        def np_call(name, *args):
            return ast.Call(func=ast.Attribute(value=_name("np"), attr=name, ctx=ast.Load()),
                            args=list(args), keywords=[])
        m, (a, b) = given["m"], axes
        turns %= 4
        if turns == 0:
            return m
        if turns == 2:
            return ast.copy_location(np_call("flip", np_call("flip", m, ast.Constant(a)),
                                             ast.Constant(b)), e)
        flipped = np_call("flip", m, ast.Constant(b if turns == 1 else a))
        return ast.copy_location(np_call("swapaxes", flipped, ast.Constant(a),
                                         ast.Constant(b)), e)

    def vector_order(self, e):
        """The ``ord`` of ``np.linalg.norm(x, ord)`` without an axis when it is 1,
        2 or ``np.inf`` (the node), else None."""
        given = dict(zip(("x", "ord", "axis", "keepdims"), e.args))
        given.update((k.arg, k.value) for k in e.keywords)
        order = given.get("ord")
        if order is None or "axis" in given or set(given) - {"x", "ord", "keepdims"}:
            return None
        if isinstance(order, ast.Constant) and type(order.value) is int and order.value in (1, 2):
            return order
        return order if resolve(order, self.namespace, self.locals) == np.inf else None

    def check_arguments(self, e, fn, text):
        """Refuse what a rule would drop: a ufunc's ``out=``/``where=`` (it writes
        into an array), keywords and positional arguments past those the rule names."""
        from ..rules import registry
        written = next((k for k in e.keywords if k.arg in ("out", "where")), None)
        if written is not None and isinstance(fn, np.ufunc):
            raise self.error(written.value, f"'{written.arg}=' of '{text}' is not supported: "
                                            f"assign the result instead ('y[:] = {text}(...)', "
                                            f"np.where for a condition)")
        names = registry.argument_names(fn)
        dropped = next((k for k in e.keywords if names is not None and
                        k.arg not in names and k.arg != "dtype"), None)
        if dropped is not None:
            raise self.error(dropped.value, f"'{dropped.arg}=' of '{text}' is not supported: "
                                            f"its derivative rule does not take it (the "
                                            f"gradient would be that of the call without it)")
        most = registry.most_arguments(fn)
        # (np.linalg.norm's ord, positional or not, is explained by its result type)
        if most is not None and len(e.args) > most and fn is not np.linalg.norm:
            raise self.error(e, f"'{text}' is differentiated with at most {most} positional "
                                f"argument{'s' if most > 1 else ''}, not {len(e.args)}")

    def builtin_convenience(self, e, fn):
        """A call of a builtin or ``math`` function written with the primitives
        that have rules (``max(a, b, c)`` nested, ``pow`` as ``**``), or None."""
        if fn in (max, min, sum) and not e.keywords and (
                fn is sum and 1 <= len(e.args) <= 2 or len(e.args) == 1):
            return self.builtin_reduction(e, fn)
        if fn is math.hypot and len(e.args) < 2 and not e.keywords:
            # hypot(a) is |a|, hypot() 0.0 (Numba has only the two-argument form)
            return ast.Call(func=_name("abs"), args=e.args, keywords=[]) if e.args \
                else ast.Constant(0.0)
        if fn in (max, min, math.hypot) and len(e.args) > 2:
            acc = e.args[0]
            for a in e.args[1:]:
                acc = ast.Call(func=e.func, args=[acc, a], keywords=[])
            return acc
        if fn is divmod and len(e.args) == 2 and not e.keywords:
            # (a // b, a % b), as Python computes them for numbers
            return ast.Tuple(elts=[ast.BinOp(left=e.args[0], op=ast.FloorDiv(), right=e.args[1]),
                                   ast.BinOp(left=copy.deepcopy(e.args[0]), op=ast.Mod(),
                                             right=copy.deepcopy(e.args[1]))], ctx=ast.Load())
        if fn is math.pow or fn is pow and len(e.args) == 2:
            return ast.BinOp(left=e.args[0], op=ast.Pow(), right=e.args[1])
        if fn is math.log and len(e.args) == 2 and not e.keywords:
            # log(x, base) is log(x) / log(base) (Numba has only the one-argument form)
            return ast.BinOp(left=_call_like(e, e.args[:1]), op=ast.Div(),
                             right=_call_like(e, e.args[1:]))
        return None

    def call_object(self, e, fn, out):
        from ..rules import registry
        text = ast.unparse(e.func)
        # rewrite conveniences into the primitives that have rules
        rewritten = self.builtin_convenience(e, fn)
        if rewritten is not None:
            return self.prim(rewritten, out)
        if fn is np.clip:
            return self.prim(self.clip_bounds(e, text), out)
        done = self.templated(e, fn, text, out)
        if done is not None:
            return done
        done = self.numpy_convenience(e, fn, text, out)
        if done is not None:
            return done
        if fn is range:
            raise self.error(e, "range() can only be used in a 'for' loop")
        if isinstance(fn, type) and fn in CONTAINERS:
            raise self.error(e, f"{CONTAINERS[fn]} are not supported ('{text}(...)')")
        if fn in (np.array, *AS_ARRAY, np.stack, np.concatenate):
            return self.build_array(e, fn, text, out)
        if fn in JOINS:
            return self.join(e, fn, text, out)
        if fn in (np.split, np.array_split):
            return self.split(e, fn, text, out)
        if fn is np.pad:
            return self.pad(e, text, out)
        done = self.helper_call(e, fn, text, out)
        if done is not None:
            return done
        if fn is np.transpose:
            return self.transpose(e, text, out)
        if fn is np.einsum:
            return self.einsum(e, text, out)
        if fn is np.tensordot:
            return self.tensordot(e, text, out)
        if fn in (np.var, np.std):
            return self.variance(e, fn, text, out)
        if fn in REDUCTIONS:
            # an axis tuple passed by name is the tuple (ax = (0, 1); np.sum(x, axis=ax))
            if any(self.constant_tuple(a) for a in e.args + [k.value for k in e.keywords]):
                e = ast.copy_location(ast.Call(
                    func=e.func, args=[self.constant_tuple(a) or a for a in e.args],
                    keywords=[ast.keyword(arg=k.arg, value=self.constant_tuple(k.value)
                                          or k.value) for k in e.keywords]), e)
            if _needs_rewrite(e):
                return self.reduction(e, fn, text, out)
        if registry.is_user_function(fn):
            e = self.with_all_args(e, fn, text)
            positions = self.written_positions(fn, e)
            args, views = self.written_args(e, positions, out)
            if positions:
                # (writes into its arguments: their new values are outputs too)
                return ir.mark(_name(self.written_call(fn, args, positions, out, e, views)),
                               ("copy",))
            name = fn.__name__
            self.user_calls[name] = fn
            node = ast.Call(func=_name(name), args=args, keywords=[])
            return ir.mark(node, ("user", fn))
        if type(fn).__module__.startswith("sourcediff.") and hasattr(fn, "wrt"):
            raise self.error(e, f"'{text}' is a sourcediff transform: calling one inside a "
                                "function being differentiated is not supported; transform "
                                "the transform instead (sd.grad(sd.grad(f)), sd.jvp(sd.grad(f)), "
                                "sd.hessian(f), sd.hvp(f), sd.jacobian(sd.grad(f)))")
        if not registry.has_rule(fn) and helper_of(fn) is not None:
            raise self.error(e, f"second derivatives through {helper_of(fn)} are not "
                                f"supported (its derivative calls '{text}', which has none)")
        if not registry.has_rule(fn) and _draws_random(fn, text):
            raise self.error(e, f"'{text}' draws random numbers: a differentiated function "
                                "cannot draw them (its gradient would see other numbers than "
                                "its value); draw them before the call and pass them in as an "
                                "argument (an array of draws)")
        if not registry.has_rule(fn):
            raise self.error(e, f"no derivative rule for '{text}'"
                                + (f" ({canonical_name(fn)})" if canonical_name(fn) and
                                   canonical_name(fn) != text else "")
                                + "; register one with @sourcediff.adjoint")
        self.check_arguments(e, fn, text)
        args = [self.atom(self.constant_tuple(a) or a, out) for a in e.args]
        kws = []
        for k in e.keywords:
            k = ast.keyword(arg=k.arg, value=self.constant_tuple(k.value) or k.value)
            if k.arg == "dtype":
                v = self.string_dtype(k.value, text) if _is_str(k.value) else \
                    self.prim(k.value, out)
                if ir.PRIM(v, ("",))[0] != "dtype":
                    raise self.error(k.value, "dtype must be a NumPy dtype like np.float32")
                kws.append(ast.keyword(arg=k.arg, value=v))
            else:
                kws.append(ast.keyword(arg=k.arg, value=self.keyword_atom(k, text, out)))
        canon = registry.emitted_name(fn)
        fnode = ast.parse(canon, mode="eval").body
        return ir.mark(ast.Call(func=fnode, args=args, keywords=kws), ("call", fn))


    def templated(self, e, fn, text, out):
        """A NumPy function written with others (``passes/numpy_templates.py``): its
        arguments evaluated once each, in order, the template's statements normalized
        as if the user had written them at the call (its own names made fresh), its
        last line the value; None where ``fn`` has no template or the call is not
        its form."""
        template = template_for(fn)
        if template is None:
            return None
        if template.positional and len(e.args) > template.positional:
            raise self.error(e, f"{text}() is supported with {template.positional} "
                                "arguments given by position")
        given = self.given_arguments(e, text, template.params)
        literal = {}
        for k, v in given.items():
            try:
                literal[k] = ast.literal_eval(v)
            except ValueError:
                pass
        try:
            source = template.build(set(given), literal)
        except Refused as exc:
            raise self.error(e, f"{text}(): {exc}") from None
        if source is None:
            return None
        *stmts, value = ast.parse(source).body
        used = {n.id for n in nodes(ast.Module(body=[*stmts, value], type_ignores=[]))
                if isinstance(n, ast.Name)}
        names = {k: self.atom(v, out) for k, v in given.items() if k in used}
        own = sorted({t for st in stmts for t in stored_names(st)} - set(names))
        names |= {v: _name(self.namer.fresh(v)) for v in own}
        self.locals |= {names[v].id for v in own}

        def put(v):
            if not isinstance(v, ast.Name):
                return v
            if v.id in names:
                return ast.copy_location(ast.Name(id=names[v.id].id, ctx=v.ctx) if isinstance(
                    names[v.id], ast.Name) else ir.clone(names[v.id]), v)
            if v.id == "np":
                return _name(NUMPY)
            if v.id in TEMPLATE_HELPERS:
                return _name(_template_helper(v.id))
            return v
        for node in nodes(ast.Module(body=[*stmts, value], type_ignores=[])):
            for field, v in ast.iter_fields(node):
                setattr(node, field, [put(x) for x in v] if isinstance(v, list) else put(v))
        for node in nodes(ast.Module(body=[*stmts, value], type_ignores=[])):
            ast.copy_location(node, e)
        for st in stmts:
            self.statement(st, out)
        self.line = e.lineno
        result = put(value.value)
        if isinstance(result, ast.Tuple):
            result.elts = [self.to_temp(self.prim(x, out), out) for x in result.elts]
        return self.prim(result, out)

    def helper_call(self, e, fn, text, out):
        """Calls that become calls of runtime helpers by name (a tuple of them for
        ``np.linalg.slogdet`` and ``eigh``), else None."""
        if fn is np.searchsorted and [(k.arg, _is_str(k.value) and k.value.value)
                                      for k in e.keywords] == [("side", "right")]:
            # Numba takes the side only as a literal string: a helper holds it
            return self.call_object(_call_like(e, e.args, func=_name("searchsorted_right")),
                                    searchsorted_right, out)
        if fn is grown and isinstance(e.func, ast.Name) and e.func.id == GROWN:
            # (appended_lists: the room of a while loop's appends, by its own name)
            return self.call_object(_call_like(e, e.args, func=_name("grown")), grown, out)
        if fn is np.linalg.slogdet:      # (sign, log|det|): the second carries the derivative
            if len(e.args) != 1 or e.keywords:
                raise self.error(e, f"{text}() takes one matrix")
            a = self.to_temp(self.atom(e.args[0], out), out)
            parts = [self.to_temp(self.call_object(_call_like(e, [a], func=_name(h.__name__)),
                                                   h, out), out)
                     for h in (slogdet_sign, logabsdet)]
            return ir.mark(ast.Tuple(elts=parts, ctx=ast.Load()), ("tuple",))
        if fn in (np.linalg.eigh, np.linalg.eigvalsh):   # (eigh_values(a), eigh_vectors(a))
            if not (len(e.args) == 1 and not e.keywords or _lower_uplo(e)):
                raise self.error(e, f"{text}() is differentiated with one argument, the "
                                    "matrix a, of which it reads the lower triangle (NumPy's "
                                    "default, UPLO='L'); for the upper one pass the transpose: "
                                    f"{text}(a.T)")
            a = self.to_temp(self.atom(e.args[0], out), out)
            if fn is np.linalg.eigvalsh:
                return self.call_object(_call_like(e, [a], func=_name("eigh_values")),
                                        eigh_values, out)
            parts = [self.to_temp(self.call_object(_call_like(e, [a], func=_name(h.__name__)),
                                                   h, out), out)
                     for h in (eigh_values, eigh_vectors)]
            return ir.mark(ast.Tuple(elts=parts, ctx=ast.Load()), ("tuple",))
        return None

    def reduction(self, e, fn, text, out):
        """``np.sum``/``mean``/``max``/``min``/``prod`` with ``axis=None``, an axis
        tuple or ``keepdims``: one reduction per axis (last first, so the other
        axis numbers stay valid), then ``np.expand_dims`` puts kept axes back.
        The rules and the Numba lowering then only meet single-axis reductions."""
        kws = {k.arg: k.value for k in e.keywords}
        extra = sorted(set(kws) - {"axis", "keepdims"})
        if extra or len(e.args) > 2 or len(e.args) == 2 and "axis" in kws:
            what = f"keyword '{extra[0]}'" if extra else "these arguments"
            raise self.error(e, f"{text}() with {what} is not supported "
                                "(only x, axis= and keepdims=)")
        axis = e.args[1] if len(e.args) > 1 else kws.get("axis")
        keep = kws.get("keepdims")
        if keep is not None and not (isinstance(keep, ast.Constant)
                                     and isinstance(keep.value, bool)):
            raise self.error(keep, f"{text}(): keepdims must be the constant True or False")
        keep = keep is not None and keep.value
        axes = self.reduction_axes(axis, text)
        cur = self.atom(e.args[0], out)
        x = cur
        if axes is None:
            reduced = self.call_object(_call_like(e, [cur]), fn, out)
            if not keep:
                return reduced
            return self.call_object(_call_like(e, [self.to_temp(reduced, out), x],
                                               func=_name("keep_all_dims")), keep_all_dims, out)
        prim = None
        for k, a in enumerate(axes):
            if prim is not None:
                cur = self.to_temp(prim, out)
            if isinstance(a, int) and a < 0:
                a += k
            prim = self.call_object(_call_like(e, [cur], axis=a), fn, out)
        if keep:
            # (a runtime axis is a single one, negative or not: expand_dims of the
            # reduced array at that axis puts it back where it was)
            expand = ast.Attribute(value=_name("np"), attr="expand_dims", ctx=ast.Load())
            known = all(isinstance(a, int) for a in axes)
            for a in sorted(axes, reverse=axes[0] < 0) if known else axes:
                cur = self.to_temp(prim, out)
                prim = self.call_object(_call_like(e, [cur], axis=a, func=expand),
                                        np.expand_dims, out)
        return prim

    def repeated_list_call(self, e, fn=None):
        """``np.array([0.0] * n)`` as ``np.full(n, 0.0)``, ``np.array([[0.0] * m] * n)``
        as ``np.full((n, m), 0.0)`` and ``np.array([1.0, 0.0] * k)`` as
        ``np.tile(np.array([1.0, 0.0]), k)``: the array NumPy makes of a repeated list of
        numbers (``k * [...]`` too), of its dtype (given, or that of the numbers, as
        NumPy takes it); else None."""
        if fn is None:
            fn = resolve(e.func, self.namespace, self.locals) if isinstance(e, ast.Call) \
                else None
        if fn not in (np.array, *AS_ARRAY) or len(e.args) != 1 or \
                any(k.arg != "dtype" for k in e.keywords):
            return None
        counts, items = [], e.args[0]
        while _list_repeat(items):
            items, count = (items.left, items.right) if isinstance(items.left, ast.List) \
                else (items.right, items.left)
            counts.append(count)
            if len(items.elts) == 1 and _list_repeat(items.elts[0]):
                items = items.elts[0]
        # (numbers only: of a name or an expression, which may hold an array, the array
        # NumPy makes has another shape; those stay refused with the ways to write them)
        if not counts or not all(_number_literal(x) for x in items.elts):
            return None
        np_ = _name("np")
        if len(items.elts) == 1:
            shape = counts[0] if len(counts) == 1 else ast.Tuple(elts=counts, ctx=ast.Load())
            return ast.copy_location(ast.Call(
                func=ast.Attribute(value=np_, attr="full", ctx=ast.Load()),
                args=[shape, items.elts[0]], keywords=e.keywords), e)
        if len(counts) != 1:
            return None
        row = ast.Call(func=ast.Attribute(value=_name("np"), attr="array", ctx=ast.Load()),
                       args=[items], keywords=e.keywords)
        return ast.copy_location(ast.Call(
            func=ast.Attribute(value=np_, attr="tile", ctx=ast.Load()),
            args=[row, counts[0]], keywords=[]), e)

    def build_array(self, e, fn, text, out):
        """``np.array([a, b])``, ``np.stack([x, y])``, ``np.concatenate([x, y])``: a
        new float array filled by subscript stores (``t[0] = a``, ``t[i:j] = x``),
        whose adjoints the reverse pass already knows.  ``np.array(x)`` of an
        array is a copy, ``np.asarray(x)`` the array itself (``np.ascontiguousarray(x)``
        too: the same values; the Numba lowering writes it before a reshape,
        passes/numba_calls.py, and differentiating generated code reads it back)."""
        kws = {k.arg: k.value for k in e.keywords}
        if fn in (np.stack, np.concatenate) and len(e.args) == 2 and "axis" not in kws:
            # the axis given by position: np.stack([x, y], -1)
            kws["axis"] = e.args[1]
            e = ast.copy_location(ast.Call(func=e.func, args=e.args[:1],
                                           keywords=e.keywords), e)
        axis = kws.pop("axis", None)
        dtype = kws.pop("dtype", None)
        constant = self.constant_array(e, fn, dtype, out)
        if constant is not None:
            return constant
        if dtype is not None and resolve(dtype, self.namespace, self.locals) not in (
                np.float64, float):
            raise self.error(dtype, f"{text}(): only dtype=np.float64 is supported")
        axes = (0, 1, -1) if fn is np.stack else (0,)
        if axis is not None:
            try:
                axis = ast.Constant(ast.literal_eval(axis))
            except ValueError:
                pass
        if kws or len(e.args) != 1 or axis is not None and not (
                fn is np.stack and isinstance(axis, ast.Constant) and axis.value in axes
                or fn is np.concatenate and isinstance(axis, ast.Constant)
                and type(axis.value) is int):
            raise self.error(e, f"{text}() is supported with one list or tuple argument"
                                + (" and axis=0, 1 or -1" if fn is np.stack else
                                   " and a constant int axis" if fn is np.concatenate else ""))
        if fn is np.concatenate and axis is not None and axis.value != 0:
            # along another axis: each part's axis moved first, joined, moved back
            if not isinstance(e.args[0], (ast.List, ast.Tuple)):
                raise self.error(e.args[0], f"{text}() needs a list or tuple written out, "
                                            "like [x, y]")
            move = ast.Attribute(value=_name("np"), attr="moveaxis", ctx=ast.Load())
            moved = [_call_like(e, [v, ast.Constant(axis.value), ast.Constant(0)], func=move)
                     for v in e.args[0].elts]
            t = self.to_temp(self.build_array(_call_like(e, [ast.List(
                elts=moved, ctx=ast.Load())]), fn, text, out), out)
            return self.call_object(_call_like(e, [t, ast.Constant(0), ast.Constant(axis.value)],
                                               func=move), np.moveaxis, out)
        if axis is not None and axis.value != 0:
            # the stack along the first axis, that axis moved
            t = self.build_array(_call_like(e, e.args), fn, text, out)
            if axis.value == -1:
                return self.call_object(_call_like(e, [t], func=_name("first_axis_last")),
                                        first_axis_last, out)
            swap = ast.Attribute(value=_name("np"), attr="swapaxes", ctx=ast.Load())
            return self.call_object(_call_like(e, [t, ast.Constant(0), ast.Constant(1)],
                                               func=swap), np.swapaxes, out)
        items = e.args[0]
        if not isinstance(items, (ast.List, ast.Tuple)):
            if fn in (np.stack, np.concatenate):
                raise self.error(items, f"{text}() needs a list or tuple written out, "
                                        "like [x, y]")
            x = self.atom(items, out)
            if isinstance(x, ast.Constant):        # np.array(2.0): the number
                return ir.mark(x, ("const",))
            return ir.mark(x, ("copy",)) if fn in AS_ARRAY \
                else self.call_object(_call_like(e, [x], func=ast.Attribute(
                    value=_name("np"), attr="copy", ctx=ast.Load())), np.copy, out)
        if not items.elts:
            raise self.error(items, f"{text}() of an empty list is not supported")
        nested = fn in (np.array, *AS_ARRAY)
        if nested and _is_grid(items):
            return self.build_grid(e, items, out)
        values = [self.build_array(_call_like(e, [v]), fn, text, out)
                  if nested and isinstance(v, (ast.List, ast.Tuple)) else self.atom(v, out)
                  for v in items.elts]
        values = [self.to_temp(v, out) if not isinstance(v, (ast.Name, ast.Constant)) else v
                  for v in values]
        t = self.temp("a")
        if fn is np.concatenate:
            return self.concatenate(e, t, values, out)
        self.assign(out, t, self.call_object(
            _call_like(e, [ast.Constant(len(values)), values[0]], func=_name("empty_stack")),
            empty_stack, out))
        for k, v in enumerate(values):
            made = len(out)
            self.assign_target(ast.Subscript(value=_name(t), slice=ast.Constant(k),
                                             ctx=ast.Store()), v, out)
            for st in out[made:]:
                if isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Subscript) \
                        and isinstance(st.targets[0].value, ast.Name) and \
                        st.targets[0].value.id == t:
                    ir.STACK_ROW.set(st.targets[0], True)
        return ir.mark(_name(t), ("copy",))

    def constant_array(self, e, fn, dtype, out):
        """``np.array([0, 2])``, ``np.array([True, False])``: integers and
        booleans written out keep NumPy's dtype (an index array, a mask), and
        so does any list of constants with a ``dtype=``.  A copy of a constant
        made once, so each call gets its own array."""
        if fn not in (np.array, *AS_ARRAY) or len(e.args) != 1 or \
                not isinstance(e.args[0], (ast.List, ast.Tuple)) or \
                any(k.arg != "dtype" for k in e.keywords):
            return None
        try:
            values = ast.literal_eval(e.args[0])
        except ValueError:
            return None
        kind = None if dtype is None else resolve(dtype, self.namespace, self.locals)
        try:
            array = np.array(values, dtype=kind)
        except (TypeError, ValueError):
            return None
        if kind is None and array.dtype.kind not in "iub" or array.dtype.kind not in "iubf":
            return None         # float constants: filled like any other list
        name = f"_array{len(self.globals_used)}"
        self.globals_used[name] = array
        const = self.temp("k")
        self.assign(out, const, ir.mark(_name(name), ("global",)))
        return self.call_object(_call_like(e, [_name(const)], func=ast.Attribute(
            value=_name("np"), attr="copy", ctx=ast.Load())), np.copy, out)

    def build_grid(self, e, items, out):
        """``np.array([[a, b], [c, d]])``: a new array filled element by element
        (``t[0, 1] = b``), no row temporaries."""
        leaves = [[self.atom(v, out) for v in row.elts] for row in items.elts]
        leaves = [[self.to_temp(v, out) if not isinstance(v, (ast.Name, ast.Constant)) else v
                   for v in row] for row in leaves]
        t = self.temp("a")
        self.assign(out, t, self.call_object(
            _call_like(e, [ast.Constant(len(leaves)), ast.Constant(len(leaves[0])), leaves[0][0]],
                       func=_name("empty_grid")), empty_grid, out))
        for i, row in enumerate(leaves):
            for j, v in enumerate(row):
                index = ast.Tuple(elts=[ast.Constant(i), ast.Constant(j)], ctx=ast.Load())
                self.assign_target(ast.Subscript(value=_name(t), slice=index, ctx=ast.Store()),
                                   v, out)
        return ir.mark(_name(t), ("copy",))

    def concatenate(self, e, t, values, out):
        ends, total = [], None
        for v in values:
            rows = ast.Subscript(value=ast.Attribute(value=v, attr="shape", ctx=ast.Load()),
                                 slice=ast.Constant(0), ctx=ast.Load())
            total = rows if total is None else ast.BinOp(left=total, op=ast.Add(), right=rows)
            end = self.temp("n")
            self.assign(out, end, self.prim(total, out))
            ends.append(end)
            total = _name(end)
        self.assign(out, t, self.call_object(
            _call_like(e, [_name(ends[-1]), values[0]], func=_name("empty_rows")),
            empty_rows, out))
        start = ast.Constant(0)
        for v, end in zip(values, ends):
            self.assign_target(ast.Subscript(value=_name(t), slice=ast.Slice(
                lower=start, upper=_name(end)), ctx=ast.Store()), v, out)
            start = _name(end)
        return ir.mark(_name(t), ("copy",))

    def join(self, e, fn, text, out):
        """``np.vstack([a, b, c])`` and friends as a chain of two-array joins,
        ``vstack2(vstack2(a, b), c)``; ``np.append(x, v)`` (no axis) is one."""
        helper = JOINS[fn]
        if e.keywords:
            raise self.error(e, f"{text}() is supported without keywords")
        if fn is np.append:
            if len(e.args) != 2:
                raise self.error(e, f"{text}() takes x and values")
            parts = e.args
        else:
            if len(e.args) != 1 or not isinstance(e.args[0], (ast.List, ast.Tuple)) \
                    or not e.args[0].elts:
                raise self.error(e, f"{text}() needs a list or tuple of arrays written out, "
                                    "like [a, b]")
            parts = e.args[0].elts
        values = [self.atom(v, out) for v in parts]
        if len(values) == 1 and helper in (vstack2, hstack2):
            # a join of one array is a copy of it, made at least 2-d (vstack) or 1-d (hstack)
            shaped = np.atleast_2d if helper is vstack2 else np.atleast_1d
            view = self.to_temp(self.call_object(_call_like(e, values, func=ast.Attribute(
                value=_name("np"), attr=shaped.__name__, ctx=ast.Load())), shaped, out), out)
            return ir.mark(ast.Call(func=ast.Attribute(value=view, attr="copy", ctx=ast.Load()),
                                    args=[], keywords=[]), ("method", "copy"))
        if len(values) == 1:
            raise self.error(e, f"{text}() of one array is not supported; use the array")
        prim = None
        acc = values[0]
        for v in values[1:]:
            if prim is not None:
                acc = self.to_temp(prim, out)
            prim = self.call_object(_call_like(e, [acc, v], func=_name(helper.__name__)),
                                    helper, out)
        return prim

    def split(self, e, fn, text, out):
        """``np.split(x, k)`` / ``np.array_split(x, k)`` / ``np.split(x, [i, j])``
        along axis 0: a tuple of slices of ``x`` (NumPy's part sizes)."""
        kws = {k.arg: k.value for k in e.keywords}
        axis = kws.pop("axis", None)
        sections = e.args[1] if len(e.args) > 1 else kws.pop("indices_or_sections", None)
        try:
            spec = ast.literal_eval(sections) if sections is not None else None
        except ValueError:
            spec = None
        ok_axis = axis is None or isinstance(axis, ast.Constant) and axis.value == 0
        if kws or len(e.args) > 2 or not ok_axis or not (
                isinstance(spec, int) and spec > 0 or isinstance(spec, (list, tuple))
                and all(isinstance(i, int) and i >= 0 for i in spec)):
            raise self.error(e, f"{text}() is supported along axis 0 with a constant number "
                                "of parts or a constant list of indices")
        x = self.to_temp(self.atom(e.args[0], out), out)
        n = ast.Subscript(value=ast.Attribute(value=x, attr="shape", ctx=ast.Load()),
                          slice=ast.Constant(0), ctx=ast.Load())

        def times(i, expr):
            return ast.BinOp(left=ast.Constant(i), op=ast.Mult(), right=ir.clone(expr))
        if isinstance(spec, int) and fn is np.split:
            bounds = [ast.BinOp(left=times(i, n), op=ast.FloorDiv(), right=ast.Constant(spec))
                      for i in range(spec + 1)]
        elif isinstance(spec, int):     # the first n % k parts one longer
            size = ast.BinOp(left=n, op=ast.FloorDiv(), right=ast.Constant(spec))
            extra = ast.BinOp(left=ir.clone(n), op=ast.Mod(), right=ast.Constant(spec))
            bounds = [ast.BinOp(left=times(i, size), op=ast.Add(), right=ast.Call(
                func=_name("min"), args=[ast.Constant(i), ir.clone(extra)], keywords=[]))
                for i in range(spec + 1)]
        else:
            bounds = [ast.Constant(0)] + [ast.Constant(i) for i in spec] + [n]
        parts = []
        for lo, hi in itertools.pairwise(bounds):
            index = self.index(ast.Slice(lower=lo, upper=hi), out)
            part = ir.mark(ast.Subscript(value=x, slice=index, ctx=ast.Load()), ("subscript",))
            parts.append(self.to_temp(part, out))
        return ir.mark(ast.Tuple(elts=parts, ctx=ast.Load()), ("tuple",))

    def pad(self, e, text, out):
        """``np.pad(x, n)`` / ``np.pad(x, (before, after))`` with zeros (the same
        widths on every axis): ``pad_constant(x, before, after)``."""
        kws = {k.arg: k.value for k in e.keywords}
        mode = kws.pop("mode", e.args[2] if len(e.args) > 2 else None)
        value = kws.pop("constant_values", None)
        width = e.args[1] if len(e.args) > 1 else kws.pop("pad_width", None)
        try:
            spec = ast.literal_eval(width) if width is not None else None
            zero = value is None or ast.literal_eval(value) == 0
        except ValueError:
            spec, zero = None, False
        constant = mode is None or isinstance(mode, ast.Constant) and mode.value == "constant"
        if isinstance(spec, int):
            spec = (spec, spec)
        if kws or len(e.args) > 3 or not constant or not zero or not (
                isinstance(spec, tuple) and len(spec) == 2
                and all(isinstance(v, int) and v >= 0 for v in spec)):
            raise self.error(e, f"{text}() is supported with zeros and constant widths "
                                "(np.pad(x, n) or np.pad(x, (before, after)))")
        args = [self.atom(e.args[0], out), ast.Constant(spec[0]), ast.Constant(spec[1])]
        return self.call_object(_call_like(e, args, func=_name("pad_constant")), pad_constant,
                                out)

    def transpose(self, e, text, out):
        """``np.transpose(x)`` is ``x.T``; with constant axes (``x.transpose(1, 0, 2)``
        too) it carries the inverse permutation for the adjoint."""
        if e.keywords and [k.arg for k in e.keywords] != ["axes"]:
            raise self.error(e, f"{text}() takes x and axes only")
        rest = list(e.args[1:]) + [k.value for k in e.keywords]
        x = self.atom(e.args[0], out)
        if not rest or len(rest) == 1 and isinstance(rest[0], ast.Constant) \
                and rest[0].value is None:
            return ir.mark(ast.Attribute(value=x, attr="T", ctx=ast.Load()), ("attr", "T"))
        try:
            axes = ast.literal_eval(rest[0] if len(rest) == 1 else ast.Tuple(elts=rest,
                                                                              ctx=ast.Load()))
        except ValueError:
            axes = None
        if not isinstance(axes, tuple) or sorted(a % len(axes) for a in axes if
                                                 isinstance(a, int)) != list(range(len(axes))):
            raise self.error(e, f"{text}(): axes must be a constant permutation, like (1, 0, 2)")
        axes = tuple(a % len(axes) for a in axes)
        inverse = tuple(int(k) for k in np.argsort(axes))
        args = [x] + [ast.Tuple(elts=[ast.Constant(a) for a in p], ctx=ast.Load())
                      for p in (axes, inverse)]
        return self.call_object(_call_like(e, args, func=_name("transpose_axes")),
                                transpose_axes, out)

    def tensordot(self, e, text, out):
        """``np.tensordot(a, b, axes)`` as a matrix product: the contracted axes
        moved last in ``a`` and first in ``b`` (``axes=([..], [..])``), both
        flattened to matrices, multiplied, and the product given back the axes
        that are left (``unflatten_contraction``, a reshape whose type rule
        knows the numbers of dimensions).  The rules of ``np.moveaxis``,
        reshapes and ``np.dot`` then differentiate it."""
        given = self.given_arguments(e, text, ("a", "b", "axes"))
        if "a" not in given or "b" not in given:
            raise self.error(e, f"{text}() takes a, b and axes")
        axes = given.get("axes")
        try:
            spec = 2 if axes is None else ast.literal_eval(axes)
        except ValueError:
            spec = None
        if isinstance(spec, (list, tuple)) and len(spec) == 2:
            spec = [[p] if type(p) is int else p for p in spec]
            ok = all(isinstance(p, (list, tuple)) and all(type(v) is int for v in p)
                     for p in spec) and len(spec[0]) == len(spec[1])
            pairs = (list(spec[0]), list(spec[1])) if ok else None
        else:
            pairs = None
        if pairs is None and not (type(spec) is int and spec >= 0):
            raise self.error(axes if axes is not None else e,
                             f"{text}(): axes must be a constant: an int, or two lists of "
                             "axes of one length, like ([1, 0], [0, 1])")

        def np_call(name, *args):
            return ast.Call(func=ast.Attribute(value=_name("np"), attr=name, ctx=ast.Load()),
                            args=list(args), keywords=[])

        def ints(values):
            return ast.Tuple(elts=[ast.Constant(v) for v in values], ctx=ast.Load())
        a, b = (self.close_operand(given[k], out) for k in ("a", "b"))
        k = len(pairs[0]) if pairs is not None else spec
        if pairs is not None:      # the contracted axes in order: last in a, first in b
            a = self.to_temp(self.prim(ast.copy_location(np_call(
                "moveaxis", a, ints(pairs[0]), ints(range(-k, 0))), e), out), out)
            b = self.to_temp(self.prim(ast.copy_location(np_call(
                "moveaxis", b, ints(pairs[1]), ints(range(k))), e), out), out)
        size = ast.Constant(1)
        for j in range(1, k + 1):
            axis = ast.Subscript(value=ast.Attribute(value=_name(a.id), attr="shape",
                                                     ctx=ast.Load()),
                                 slice=ast.Constant(-j), ctx=ast.Load())
            size = axis if j == 1 else ast.BinOp(left=size, op=ast.Mult(), right=axis)
        m = self.to_temp(self.prim(ast.copy_location(size, e), out), out)

        def matrix(x, rows, cols):
            return ast.Call(func=ast.Attribute(value=_name(x.id), attr="reshape",
                                               ctx=ast.Load()), args=[rows, cols], keywords=[])
        minus_one = ast.UnaryOp(op=ast.USub(), operand=ast.Constant(1))
        product = np_call("dot", matrix(a, minus_one, _name(m.id)),
                          matrix(b, _name(m.id), copy.deepcopy(minus_one)))
        c = self.to_temp(self.prim(ast.fix_missing_locations(ast.copy_location(product, e)),
                                   out), out)
        return self.call_object(_call_like(e, [c, _name(a.id), _name(b.id), ast.Constant(k)],
                                           func=_name("unflatten_contraction")),
                                unflatten_contraction, out)

    def einsum(self, e, text, out):
        """``np.einsum`` lowered to loops at transform time (Numba has none): one
        loop per index letter, bounds from the operands' shapes, the products
        accumulated into a new array, or a number for a scalar result."""
        if e.keywords or len(e.args) < 2 or not (isinstance(e.args[0], ast.Constant)
                                                 and isinstance(e.args[0].value, str)):
            raise self.error(e, f"{text}() needs a constant subscripts string and operands")
        spec = e.args[0].value.replace(" ", "")
        inputs, _, output = spec.partition("->")
        terms = inputs.split(",")
        if "." in spec or len(terms) != len(e.args) - 1 or not all(
                t.isalpha() for t in terms + ([output] if output else [])):
            raise self.error(e.args[0], f"{text}(): subscripts like 'ij,jk->ik' (no '...') "
                                        "with one term per operand")
        letters = "".join(terms)
        if "->" not in spec:
            output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        if len(set(output)) != len(output) or not set(output) <= set(letters):
            raise self.error(e.args[0], f"{text}(): bad output subscripts '{output}'")
        ops = [self.to_temp(self.atom(a, out), out) for a in e.args[1:]]
        bound = {}
        for op, term in zip(ops, terms):
            for axis, c in enumerate(term):
                bound.setdefault(c, ast.Subscript(value=ast.Attribute(
                    value=op, attr="shape", ctx=ast.Load()), slice=ast.Constant(axis),
                    ctx=ast.Load()))
        index = {c: self.temp(c) for c in dict.fromkeys(output + letters)}
        result = self.temp("e")
        if output:
            shape = ast.Tuple(elts=[bound[c] for c in output], ctx=ast.Load())
            zeros = _call_like(e, [shape], func=ast.Attribute(value=_name("np"), attr="zeros",
                                                              ctx=ast.Load()))
            self.assign(out, result, self.call_object(zeros, np.zeros, out))
            target = ast.Subscript(value=_name(result), slice=ast.Tuple(
                elts=[_name(index[c]) for c in output], ctx=ast.Load()) if len(output) > 1
                else _name(index[output]), ctx=ast.Store())
        else:
            self.assign(out, result, ir.mark(ast.Constant(0.0), ("const",)))
            target = _name(result, True)
        product = None
        for op, term in zip(ops, terms):
            item = ast.Subscript(value=op, slice=ast.Tuple(elts=[_name(index[c]) for c in term],
                                                           ctx=ast.Load())
                                 if len(term) > 1 else _name(index[term]), ctx=ast.Load())
            product = item if product is None else ast.BinOp(left=product, op=ast.Mult(),
                                                             right=item)
        body = [ast.copy_location(ast.AugAssign(target=target, op=ast.Add(), value=product), e)]
        for c in reversed(list(index)):
            loop = ast.For(target=_name(index[c], True), iter=ast.Call(
                func=_name("range"), args=[bound[c]], keywords=[]), body=body, orelse=[])
            body = [ast.copy_location(loop, e)]
        self.block(body, out)
        return ir.mark(_name(result), ("copy",))

    def variance(self, e, fn, text, out):
        """``np.var(x, axis, ddof=, keepdims=)`` as NumPy computes it: the mean of
        squared deviations from the mean, times ``n / (n - ddof)``; ``np.std`` its
        square root."""
        kws = {k.arg: k.value for k in e.keywords}
        extra = sorted(set(kws) - {"axis", "ddof", "keepdims"})
        if extra or len(e.args) > 2 or not e.args:
            raise self.error(e, f"{text}() is supported with x, axis=, ddof= and keepdims=")
        ddof = kws.pop("ddof", ast.Constant(0))
        axis = e.args[1] if len(e.args) > 1 else kws.pop("axis", None)
        keep = kws.pop("keepdims", ast.Constant(False))
        x = self.atom(e.args[0], out)

        def mean(v, keepdims):
            kw = [ast.keyword(arg="keepdims", value=keepdims)] + \
                ([] if axis is None else [ast.keyword(arg="axis", value=axis)])
            call = ast.copy_location(ast.Call(func=e.func, args=[v], keywords=kw), e)
            return self.to_temp(self.reduction(call, np.mean, text, out), out)
        m = mean(x, ast.Constant(True))
        dev = self.to_temp(self.prim(ast.BinOp(left=x, op=ast.Sub(), right=m), out), out)
        sq = self.to_temp(self.prim(ast.BinOp(left=dev, op=ast.Mult(), right=dev), out), out)
        var = mean(sq, keep)
        if not (isinstance(ddof, ast.Constant) and ddof.value == 0):
            n = ast.BinOp(left=ast.Attribute(value=x, attr="size", ctx=ast.Load()),
                          op=ast.FloorDiv(), right=ast.Attribute(value=m, attr="size",
                                                                 ctx=ast.Load()))
            n = self.to_temp(self.prim(n, out), out)
            scale = ast.BinOp(left=n, op=ast.Div(), right=ast.BinOp(
                left=n, op=ast.Sub(), right=ddof))
            var = self.to_temp(self.prim(ast.BinOp(left=var, op=ast.Mult(), right=scale), out),
                               out)
        if fn is np.var:
            return ir.mark(var, ("copy",))
        return self.call_object(_call_like(e, [var], func=ast.Attribute(
            value=_name("np"), attr="sqrt", ctx=ast.Load())), np.sqrt, out)

    def reduction_axes(self, axis, text):
        """``None`` (all axes) or the axes to reduce, in the order to reduce them."""
        if axis is None or isinstance(axis, ast.Constant) and axis.value is None:
            return None
        try:
            value = ast.literal_eval(axis)
        except ValueError:
            return [axis]   # a runtime integer: one axis
        axes = list(value) if isinstance(value, tuple) else [value]
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise self.error(axis, f"{text}(): axis must be an integer or a tuple of integers")
        if len(set(axes)) != len(axes):
            raise self.error(axis, f"{text}(): repeated axis in {ast.unparse(axis)}")
        if any(a < 0 for a in axes) and any(a >= 0 for a in axes):
            raise self.error(axis, f"{text}(): an axis tuple mixing negative and "
                                   "non-negative axes is not supported")
        return sorted(axes, reverse=True)

    def to_temp(self, prim, out):
        if isinstance(prim, ast.Name):
            return prim
        t = self.temp()
        self.assign(out, t, prim)
        return _name(t)


JOINS = {np.vstack: vstack2, np.hstack: hstack2, np.column_stack: column_stack2,
         np.append: append_flat}
if hasattr(np, "row_stack"):   # removed in NumPy 2.5
    JOINS[np.row_stack] = vstack2
AS_ARRAY = (np.asarray, np.ascontiguousarray)     # the array given, not a copy
REDUCTIONS = (np.sum, np.mean, np.max, np.amax, np.min, np.amin, np.prod)


def _needs_rewrite(call) -> bool:
    """A reduction the rules do not take as it is: ``keepdims``, ``axis=None``,
    an axis tuple."""
    kws = {k.arg: k.value for k in call.keywords}
    axis = call.args[1] if len(call.args) > 1 else kws.get("axis")
    return "keepdims" in kws or len(kws) > ("axis" in kws) or isinstance(axis, ast.Tuple) or \
        isinstance(axis, ast.Constant) and axis.value is None


def _binding_sites(tree) -> dict:
    """``{name: [the statements and expressions that bind it]}`` (assignments,
    loop and comprehension targets, ``:=``), each site once per name."""
    sites: dict = {}
    for n in nodes(tree):
        names = {t.id for target in binding_targets(n) for t in nodes(target)
                 if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)}
        for name in names:
            sites.setdefault(name, []).append(n)
    return sites


# np.trapezoid (NumPy 2.0; np.trapz before it, removed in 2.4)
_TRAPEZOID = getattr(np, "trapezoid", None) or getattr(np, "trapz", None)


def _draws_random(fn, text: str) -> bool:
    """``fn`` (written ``text``) draws from NumPy's or Python's random generators."""
    module = getattr(fn, "__module__", None) or type(fn).__module__ or ""
    owner = getattr(fn, "__self__", None)
    owner_module = type(owner).__module__ if owner is not None else ""
    return text.startswith(("np.random.", "numpy.random.")) or "random" in (
        module, owner_module) or module.startswith("numpy.random") or \
        owner_module.startswith("numpy.random")


def _number_literal(e) -> bool:
    """``2.0``, ``-1``, ``True``."""
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        e = e.operand
    return isinstance(e, ast.Constant) and type(e.value) in (int, float, bool)


def _empty_list(s):
    """``xs`` of ``xs = []``, else None."""
    if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
            and isinstance(s.value, ast.List) and not s.value.elts:
        return s.targets[0].id
    return None


def _appends(s, xs) -> list:
    """The statements ``xs.append(v)`` in ``s``."""
    return [n for n in nodes(s) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
            and isinstance(n.value.func, ast.Attribute) and n.value.func.attr == "append"
            and isinstance(n.value.func.value, ast.Name) and n.value.func.value.id == xs
            and len(n.value.args) == 1 and not n.value.keywords]


def _template_helper(name: str) -> str:
    """The name a template's helper is resolved by (no user module has it)."""
    return f"__sourcediff_{name}__"


def _uncovered_appends(xs, later) -> str:
    """Why the list ``xs`` appended to in the statements ``later`` (those after ``xs =
    []`` that mention it) is not made an array, and what is."""
    loop = later[0]
    if not isinstance(loop, (ast.For, ast.While)):
        why = "it is appended to outside a loop"
    elif any(_appends(st, xs) for st in later[1:]):
        why = "it is appended to in more than one loop"
    elif loop.orelse:
        why = "its loop has an 'else' block"
    elif any(_appends(n, xs) for st in loop.body for n in nodes(st)
             if isinstance(n, (ast.For, ast.While))):
        why = "it is appended to in a loop nested in its loop"
    else:
        why = "it is read in the loop while it grows"
    return (f"the list '{xs}' cannot be differentiated here: {why}. A list made empty "
            f"('{xs} = []') is made an array when one for or while loop appends numbers to "
            f"it in its own body and it is read only after that loop (np.array({xs}), "
            f"len({xs})); otherwise fill an array made before the loop, "
            f"{xs} = np.empty(n); {xs}[i] = ...")


def _appends_only(loop, xs) -> list:
    """The appends to ``xs`` of ``loop``'s body, if the body mentions ``xs``
    nowhere else and appends in no loop of its own (else an empty list)."""
    appended = _appends(loop, xs)
    inner = [n for st in loop.body for n in nodes(st) if isinstance(n, (ast.For, ast.While))]
    if not appended or loop.orelse or any(_appends(n, xs) for n in inner):
        return []
    mentions = sum(isinstance(n, ast.Name) and n.id == xs for n in nodes(loop))
    return appended if mentions == len(appended) else []


def _grown_when_full(xs, count):
    """``if count == len(xs): xs = grown(xs)`` (before a while loop's append)."""
    full = ast.Compare(left=_name(count), ops=[ast.Eq()], comparators=[ast.Call(
        func=_name("len"), args=[_name(xs)], keywords=[])])
    more = ast.Assign(targets=[_name(xs, True)], value=ast.Call(
        func=_name(GROWN), args=[_name(xs)], keywords=[]))
    return ast.If(test=full, body=[more], orelse=[])


def _with_replaced(tree, stores: dict):
    """A copy of ``tree`` with each statement whose id ``stores`` names replaced by
    the statements given for it."""
    def block(stmts):
        out = []
        for st in stmts:
            if id(st) in stores:
                out.extend(stores[id(st)])
                continue
            new = copy.copy(st)
            for f in ("body", "orelse"):
                if isinstance(getattr(st, f, None), list):
                    setattr(new, f, block(getattr(st, f)))
            out.append(new)
        return out
    return block([tree])[0]


def _list_repeat(e) -> bool:
    """``[...] * k`` or ``k * [...]``."""
    return isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mult) and \
        isinstance(e.left, ast.List) != isinstance(e.right, ast.List)


def _call_like(e, args, axis=None, func=None):
    """A call at ``e``'s position: ``func(*args)``, ``axis=`` given as a keyword."""
    kws = [] if axis is None else [
        ast.keyword(arg="axis", value=axis if isinstance(axis, ast.AST) else ast.Constant(axis))]
    return ast.copy_location(ast.Call(func=func or e.func, args=args, keywords=kws), e)


def _always_returns(block) -> bool:
    """Every path through ``block`` (user statements) ends in a return."""
    for s in block:
        if isinstance(s, ast.Return) or isinstance(s, ast.If) and \
                _always_returns(s.body) and _always_returns(s.orelse):
            return True
        if isinstance(s, ast.While) and isinstance(s.test, ast.Constant) and \
                s.test.value is True and not any(isinstance(n, ast.Break) for n in nodes(s)):
            return True        # ``while True:`` left only by its returns
    return False


class JumpLowering:
    """Turns ``break``/``continue``/non-final ``return`` into flags.

    The rest of a block after a statement that may jump is guarded by
    ``if not <flag>:``, so every loop body becomes structured code whose
    reverse replays exactly the statements that ran.
    """

    def __init__(self, norm: Normalizer):
        self.norm = norm
        self.loops: list[_Loop] = []
        self.ret_flag = None
        self.ret_value = None

    def lower_function(self, body, tree):
        returns = [s for s in walk(body) if isinstance(s, ast.Return)]
        final_only = returns and body and isinstance(body[-1], ast.Return) and len(returns) == 1
        if not returns and self.norm.void_ok:
            ret = ast.Return(value=ast.Constant(0.0))
            ir.tag(ret, tree.lineno, ir.Kind.RETURN)
            body = body + [ret]
            returns = [ret]
            final_only = True
        if not returns:
            raise self.norm.error(tree, f"'{tree.name}' must return a value to differentiate")
        if any(isinstance(n, ast.Return) and n.value is not None for n in nodes(tree)) and \
                not _always_returns(tree.body):
            raise self.norm.error(tree, f"'{tree.name}' can reach its end without a return, "
                                        f"where Python returns None: end it with a return")
        if final_only:
            out, _ = self.block(body)
            return out
        self.ret_flag = self.norm.temp("returned")
        self.ret_value = self.norm.temp("retval")
        out, _ = self.block(body)
        first = tree.body[0] if tree.body else tree
        init = ast.Assign(targets=[_name(self.ret_flag, True)], value=ir.mark(
            ast.Constant(False), ("const",)))
        ir.tag(init, getattr(first, "lineno", tree.lineno), ir.Kind.ASSIGN)
        ret = ast.Return(value=_name(self.ret_value))
        ir.tag(ret, ir.LINE(returns[-1]), ir.Kind.RETURN)
        return [init] + out + [ret]

    def flag(self, name, value, line):
        s = ast.Assign(targets=[_name(name, True)], value=ir.mark(ast.Constant(value),
                                                                         ("const",)))
        ir.tag(s, line, ir.Kind.ASSIGN)
        return s

    def guard(self, flag, body, line):
        node = ast.If(test=ast.UnaryOp(op=ast.Not(), operand=_name(flag)), body=body, orelse=[])
        ir.tag(node, line, ir.Kind.IF)
        return node

    def block(self, stmts):
        """``stmts`` with their jumps lowered, and whether one may jump."""
        out = []
        for k, s in enumerate(stmts):
            new, jumps = self.statement(s)
            out.extend(new)
            rest = stmts[k + 1:]
            if jumps and rest:
                inner, _ = self.block(rest)
                if inner:
                    flag = self.loops[-1].skip if self.loops else self.ret_flag
                    out.append(self.guard(flag, inner, ir.LINE(rest[0])))
                return out, True
            if jumps:
                return out, True
        return out, False

    def statement(self, s):
        line = ir.LINE(s)
        if isinstance(s, ast.Break):
            loop = self.loops[-1]
            loop.uses_skip = loop.uses_exit = True
            return [self.flag(loop.skip, True, line), self.flag(loop.exit, True, line)], True
        if isinstance(s, ast.Continue):
            loop = self.loops[-1]
            loop.uses_skip = True
            return [self.flag(loop.skip, True, line)], True
        if isinstance(s, ast.Return):
            if self.ret_flag is None:
                return [s], False
            copy = ast.Assign(targets=[_name(self.ret_value, True)],
                              value=ir.mark(s.value, ("copy",) if isinstance(s.value, ast.Name)
                                          else ("const",)))
            ir.tag(copy, line, ir.Kind.ASSIGN)
            new = [copy, self.flag(self.ret_flag, True, line)]
            for loop in self.loops:
                loop.uses_skip = loop.uses_exit = True
                new += [self.flag(loop.skip, True, line), self.flag(loop.exit, True, line)]
            return new, True
        if isinstance(s, ast.If) and ir.CONTROL_ONLY(s):
            return [s], False   # a loop's own exit test, kept as it is
        if isinstance(s, ast.If):
            s.body, j1 = self.block(s.body)
            s.orelse, j2 = self.block(s.orelse)
            if not s.body:
                s.body = [ast.Pass()]
            return [s], j1 or j2
        if isinstance(s, (ast.For, ast.While)):
            # flags fresh against the function's names (generated code has its own)
            self.norm.loop_counter = self.norm.namer.numbered_group(
                ("_skip", "_exit", "_n"), self.norm.loop_counter + 1)
            loop = _Loop(self.norm.loop_counter, isinstance(s, ast.While))
            has_return = any(isinstance(x, ast.Return) for x in walk(s.body)) \
                and self.ret_flag is not None
            if self.norm.tapes and isinstance(s, ast.While):
                _mark_final_exit(s)
            self.loops.append(loop)
            body, _ = self.block(s.body)
            self.loops.pop()
            pre = []
            if loop.uses_skip:
                body = [self.flag(loop.skip, False, line)] + body
            if loop.uses_exit:
                pre.append(self.flag(loop.exit, False, line))
                brk = ast.Break()
                ir.tag(brk, line, ir.Kind.JUMP)
                stop = ast.If(test=_name(loop.exit), body=[brk], orelse=[])
                ir.tag(stop, line, ir.Kind.IF)
                ir.CONTROL_ONLY.set(stop, True)
                body = body + [stop]
            if loop.is_while or loop.uses_exit:
                # the reverse sweep replays exactly the iterations that ran
                pre.append(_counter_init(loop.count, line))
                body = [_counter_step(loop.count, line)] + body
                ir.COUNT.set(s, loop.count)
            else:
                ir.COUNT.set(s, None)
            s.body = body
            return pre + [s], has_return
        return [s], False


def _steps(index):
    """The steps of the slices in an index (``None`` for an integer position)."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    out = []
    for p in parts:
        if isinstance(p, ast.Slice):
            step = p.step
            out.append("1" if step is None or isinstance(step, ast.Constant) and step.value == 1
                       else ast.unparse(step))
        else:
            out.append(None)
    return out


def _strided_self_copy(target, value, base) -> bool:
    """``u[1::2] = u[1:-2]``: slices of one array with different steps. NumPy
    copies a 1-d overlap like ``memmove`` (forward or backward by where the
    two start), which equals copying the right side first only when the steps
    are equal; the adjoint assumes that copy."""
    if not (isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name)
            and value.value.id == base):
        return False
    if _row_and_column(_steps(target.slice), _steps(value.slice)):
        return True
    dst = [d for d in _steps(target.slice) if d is not None]
    src = [s for s in _steps(value.slice) if s is not None]
    # (two sliced axes or more: a view of 2 dimensions or more, which NumPy
    # copies first when it overlaps; a reversal, steps 1 and -1, NumPy copies
    # first too: ``y[:] = y[::-1]``)
    return len(dst) == 1 and len(src) == 1 and dst != src and \
        {dst[0], src[0]} != {"1", "-1"}


def _row_and_column(dst, src) -> bool:
    """``z[1] = z[:, 2]``: one integer position each, on different axes (the
    axes an index leaves out are whole slices): a row and a column of one
    matrix, which share an element; NumPy copies them element by element."""
    if any(isinstance(p, str) and p not in ("1", "-1") for p in dst + src):
        return False
    width = max(len(dst), len(src))
    dst, src = dst + ["1"] * (width - len(dst)), src + ["1"] * (width - len(src))
    ints = [{k for k, p in enumerate(side) if p is None} for side in (dst, src)]
    return width == 2 and all(len(i) == 1 for i in ints) and ints[0] != ints[1]


def _may_overlap(target, value, base) -> bool:
    """``a[1:] += a[:-1]``: the value may be a view of the array written into
    at other positions. NumPy reads the whole value before it writes; an
    in-place add element by element (as Numba compiles it) would read
    elements it has already written. Such a statement takes the path of
    ``a[1:] *= v`` (old slice, new array, store), which keeps NumPy's result."""
    has_slice = any(isinstance(n, ast.Slice) for n in nodes(target.slice))
    return has_slice and base in free_names(value) and \
        not isinstance(value, (ast.BinOp, ast.UnaryOp, ast.Constant))


def _is_new_axis(p) -> bool:
    """``None`` or ``np.newaxis`` in an index."""
    return isinstance(p, ast.Constant) and p.value is None or \
        isinstance(p, ast.Attribute) and p.attr == "newaxis"


def _skips_as_branches(loop):
    """``loop`` with each ``if c: A; continue`` of its own body (the ``continue``
    ending a branch, nothing else in the ``if`` leaving the iteration) made an
    ``if c: A else: <the rest of the body>`` (``if not c: <the rest>`` where A is
    empty): no flag for the jump, whose value the reverse sweep would store per
    iteration, and a ``while`` loop left with no ``continue`` is tested at the end
    of its body like any other (``tested_at_end``).  An adaptive step's rejection,
    ``if err > tol: h = 0.5 * h; continue``, is the form a user writes for it."""
    body = _branches_for_skips(loop.body)
    if body is loop.body:
        return loop
    new = copy.copy(loop)
    new.body = body
    return new


def _branches_for_skips(stmts):
    for k, s in enumerate(stmts):
        skip = _ends_in_skip(s)
        if skip is None:
            continue
        taken = getattr(s, skip)[:-1]
        rest = _branches_for_skips((s.orelse if skip == "body" else s.body) + stmts[k + 1:])
        if not taken and skip == "body":
            branch = ast.If(test=_negated_test(s.test), body=rest, orelse=[])
        elif skip == "body":
            branch = ast.If(test=s.test, body=taken, orelse=rest)
        else:
            branch = ast.If(test=s.test, body=rest, orelse=taken)
        if not branch.body:      # (``if c: continue`` ending the body: c still evaluated)
            branch.body = [ast.copy_location(ast.Pass(), s)]
        return stmts[:k] + [ast.copy_location(branch, s)]
    return stmts


_OPPOSITE = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}


def _negated_test(test):
    """``not test``: ``j != i`` for ``j == i`` (exact, NaN included; an order
    comparison is not: ``not a < b`` is true for a NaN), else ``not (test)``."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and \
            type(test.ops[0]) in _OPPOSITE:
        return ast.copy_location(ast.Compare(left=test.left, ops=[_OPPOSITE[type(test.ops[0])]()],
                                             comparators=test.comparators), test)
    return ast.copy_location(ast.UnaryOp(op=ast.Not(), operand=test), test)


def _ends_in_skip(s):
    """``"body"`` for ``if c: A; continue``, ``"orelse"`` for ``if c: A else: B;
    continue``, where nothing else in the ``if`` leaves the iteration (no other
    ``continue``, ``break`` or ``return`` of the loop); else None."""
    if not isinstance(s, ast.If):
        return None
    for skip, other in (("body", s.orelse), ("orelse", s.body)):
        branch = getattr(s, skip)
        if branch and isinstance(branch[-1], ast.Continue) and \
                not _leaves(branch[:-1]) and not _leaves(other):
            return skip
    return None


def _leaves(stmts) -> bool:
    """A ``continue``, ``break`` (not of a loop inside) or ``return`` in ``stmts``."""
    return own_jumps(stmts, (ast.Continue, ast.Break)) or \
        any(isinstance(n, ast.Return) for n in walk(stmts))


def _continues(stmts) -> bool:
    """A ``continue`` of the loop whose body is ``stmts`` (not of a loop inside)."""
    return own_jumps(stmts, ast.Continue)


def _trip_limit(s: ast.While):
    """``(counter, limit, inclusive, step)`` (``ir.TRIP_LIMIT``) when a conjunct of
    the test of ``s`` is ``counter < limit`` (or ``<=``, or written the other way
    round), the body adds a positive int constant to ``counter`` in a statement of
    its own (``counter += 1``, not inside a branch or an inner loop), writes
    ``counter`` nowhere else and no name ``limit`` reads, and has no ``continue``
    (which would skip the step); else None.  ``limit`` is names, ``.shape`` reads,
    int constants and arithmetic (``n - 1``, ``x.shape[0]``)."""
    if _continues(s.body):
        return None
    test = s.test
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) \
        else [test]
    # an exit tested in every trip, ``if it >= nmax: break`` (as ``while it < nmax``;
    # counted inclusive: the test may come before the step in the body)
    exits = [_negated(st.test) for st in s.body if isinstance(st, ast.If) and not st.orelse
             and len(st.body) == 1 and isinstance(st.body[0], ast.Break)]
    written = [n.id for st in s.body for n in nodes(st)
               if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    for part in parts + [e for e in exits if e is not None]:
        inclusive_exit = any(part is e for e in exits)
        while isinstance(part, ast.UnaryOp) and isinstance(part.op, ast.Not) and \
                isinstance(part.operand, ast.UnaryOp) and isinstance(part.operand.op, ast.Not):
            part = part.operand.operand     # (an exit moved into the test: ``not not it < cap``)
        if not (isinstance(part, ast.Compare) and len(part.ops) == 1):
            continue
        left, op, right = part.left, part.ops[0], part.comparators[0]
        if isinstance(op, (ast.Gt, ast.GtE)):
            left, right = right, left
            op = ast.Lt() if isinstance(op, ast.Gt) else ast.LtE()
        if not isinstance(op, (ast.Lt, ast.LtE)) or not isinstance(left, ast.Name) or \
                written.count(left.id) != 1 or not _plain_limit(right) or \
                {n.id for n in nodes(right) if isinstance(n, ast.Name)} & set(written):
            continue
        steps = [st.value.value for st in s.body if isinstance(st, ast.AugAssign)
                 and isinstance(st.op, ast.Add) and isinstance(st.target, ast.Name)
                 and st.target.id == left.id and isinstance(st.value, ast.Constant)
                 and type(st.value.value) is int and st.value.value > 0]
        if len(steps) == 1:
            return left.id, copy.deepcopy(right), isinstance(op, ast.LtE) or inclusive_exit, \
                steps[0]
    return None


def _negated(test):
    """``a < b`` for a test ``a >= b`` (``a <= b`` for ``a > b``, ``x`` for ``not x``),
    the condition to go on that an exit's test gives; else None."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return test.operand
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        flip = {ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt, ast.Lt: ast.GtE}
        op = flip.get(type(test.ops[0]))
        if op is not None:
            return ast.Compare(left=test.left, ops=[op()], comparators=test.comparators)
    return None


def _plain_limit(e) -> bool:
    """Names, ints, ``x.shape`` and its items, ``+``/``-``/``*``: a loop limit the
    tape planner can evaluate before the loop."""
    for n in nodes(e):
        if isinstance(n, ast.Constant) and type(n.value) is not int:
            return False
        if isinstance(n, ast.Attribute) and n.attr != "shape":
            return False
        if isinstance(n, ast.BinOp) and not isinstance(n.op, (ast.Add, ast.Sub, ast.Mult)):
            return False
        if isinstance(n, ast.Subscript) and not (isinstance(n.value, ast.Attribute)
                                                 and n.value.attr == "shape"):
            return False
        if not isinstance(n, (ast.Name, ast.Constant, ast.Attribute, ast.Subscript, ast.BinOp,
                              ast.Load, ast.operator)):
            return False
    return True


def _mark_final_exit(loop):
    """Generated code ends its ``while True`` bodies with ``if _exitN: break``, its
    only jump: keep that test as the loop's exit instead of lowering it to flags."""
    last = loop.body[-1] if loop.body else None
    if not (isinstance(last, ast.If) and isinstance(last.test, ast.Name) and not last.orelse
            and len(last.body) == 1 and isinstance(last.body[0], ast.Break)):
        return

    def jumps(stmts):
        for st in stmts:
            if isinstance(st, (ast.Break, ast.Continue, ast.Return)):
                return True
            if isinstance(st, ast.If) and (jumps(st.body) or jumps(st.orelse)):
                return True
        return False   # (nested loops own their breaks)

    if not jumps(loop.body[:-1]):
        ir.CONTROL_ONLY.set(last, True)


def _fill_lines(stmts, line):
    for s in stmts:
        if ir.LINE(s) is None:
            ir.LINE.set(s, line)
        for field in ("body", "orelse"):
            if getattr(s, field, None):
                _fill_lines(getattr(s, field), ir.LINE(s))


def _counter_init(name, line):
    s = ast.Assign(targets=[_name(name, True)], value=ir.mark(ast.Constant(0), ("const",)))
    ir.tag(s, line, ir.Kind.ASSIGN)
    return s


def _counter_step(name, line):
    s = ast.Assign(targets=[_name(name, True)],
                   value=ir.mark(ast.BinOp(left=_name(name), op=ast.Add(), right=ast.Constant(1)),
                               ("binop", "Add")))
    ir.tag(s, line, ir.Kind.ACCUMULATE)
    return s


def _lower_uplo(e) -> bool:
    """Whether ``np.linalg.eigh(a, ...)`` names the lower triangle, NumPy's
    default, as its one other argument (``UPLO='L'``)."""
    given = e.args[1:] + [k.value for k in e.keywords if k.arg == "UPLO"]
    return (len(e.args) >= 1 and len(given) == 1 == len(e.args) - 1 + len(e.keywords)
            and isinstance(given[0], ast.Constant) and given[0].value == "L")


def _is_str(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _is_name(node, name):
    return isinstance(node, ast.Name) and node.id == name


def _assigned_names_in(stmts) -> set:
    names = set()
    for s in stmts:
        names |= stored_names(s)
    return names


def _constant_int(e):
    """The value of an integer literal (``3``, ``-2``), else None."""
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        k = _constant_int(e.operand)
        return None if k is None else -k
    if isinstance(e, ast.Constant) and type(e.value) is int:
        return e.value
    return None


def _range_parts(args):
    """(start, stop, step) of ``range(*args)``; the step a constant int or None."""
    start, stop = (ast.Constant(0), args[0]) if len(args) == 1 else (args[0], args[1])
    return start, stop, 1 if len(args) < 3 else _constant_int(args[2])


def _range_count(start, stop, step: int):
    """How many values ``range(start, stop, step)`` gives, as an expression
    (negative for none: callers take ``max(count, 0)`` where it matters)."""
    def op(a, o, b):
        return ast.BinOp(left=copy.deepcopy(a), op=o, right=b)
    span = op(stop, ast.Sub(), start) if step > 0 else op(start, ast.Sub(), stop)
    if abs(step) == 1:
        return span
    return op(op(span, ast.Add(), ast.Constant(abs(step) - 1)), ast.FloorDiv(),
              ast.Constant(abs(step)))


def _range_counters(gen, namespace, local_names) -> dict:
    """The names a comprehension's ``for`` binds to integers: the target of
    ``for i in range(...)``, the counter of ``for k, v in enumerate(...)``
    (original name -> itself)."""
    it = gen.iter
    fn = resolve(it.func, namespace, local_names) if isinstance(it, ast.Call) else MISSING
    if fn is range and isinstance(gen.target, ast.Name):
        return {gen.target.id: gen.target.id}
    if fn is enumerate and isinstance(gen.target, ast.Tuple) and gen.target.elts and \
            isinstance(gen.target.elts[0], ast.Name):
        return {gen.target.elts[0].id: gen.target.elts[0].id}
    return {}


def _int_names(tree, params) -> set:
    """The names every assignment of which in ``tree`` is integer arithmetic on such
    names and integer constants (``k = 0``, ``k += 2``; a range's counter); not
    parameters, whose types the call decides."""
    values: dict = {}
    for n in nodes(tree):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                for name in nodes(t):
                    if isinstance(name, ast.Name):
                        values.setdefault(name.id, []).append(
                            n.value if t is name else None)
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            values.setdefault(n.target.id, []).append(
                ast.BinOp(left=n.target, op=n.op, right=n.value))
        elif isinstance(n, (ast.For, ast.comprehension, ast.AnnAssign, ast.NamedExpr)):
            counted = isinstance(n, (ast.For, ast.comprehension)) and \
                isinstance(n.iter, ast.Call) and isinstance(n.iter.func, ast.Name) and \
                n.iter.func.id == "range"
            for name in nodes(n.target):
                if isinstance(name, ast.Name):
                    values.setdefault(name.id, []).append(
                        ast.Constant(0) if counted and name is n.target else None)
    ints = set(values) - set(params)
    changed = True
    while changed:
        bad = {k for k in ints if any(v is None or not _int_valued(v, ints) for v in values[k])}
        ints -= bad
        changed = bool(bad)
    return ints


def _int_valued(e, ints: set) -> bool:
    """``e`` is integer arithmetic on the names ``ints`` and integer constants."""
    if isinstance(e, ast.Name):
        return e.id in ints
    if isinstance(e, ast.Constant):
        return isinstance(e.value, int) and not isinstance(e.value, bool)
    if isinstance(e, ast.BinOp):
        return isinstance(e.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)) and \
            _int_valued(e.left, ints) and _int_valued(e.right, ints)
    if isinstance(e, ast.UnaryOp):
        return isinstance(e.op, ast.USub) and _int_valued(e.operand, ints)
    return False


def _renamed(e, names: dict):
    """A copy of ``e`` with the names in ``names`` replaced."""
    e = copy.deepcopy(e)
    for n in nodes(e):
        if isinstance(n, ast.Name) and n.id in names:
            n.id = names[n.id]
    return e


def _length(seq: str):
    return ast.Call(func=_name("len"), args=[_name(seq)], keywords=[])


def _is_int_expr(e, namespace=None, local_names=()) -> bool:
    """Plain integer arithmetic that can be re-evaluated in the reverse sweep."""
    if isinstance(e, ast.Name):
        return True
    if isinstance(e, ast.Constant):
        return isinstance(e.value, int) and not isinstance(e.value, bool)
    if isinstance(e, ast.BinOp):
        return isinstance(e.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)) and \
            _is_int_expr(e.left, namespace, local_names) and \
            _is_int_expr(e.right, namespace, local_names)
    if isinstance(e, ast.UnaryOp):
        return isinstance(e.op, ast.USub) and _is_int_expr(e.operand, namespace, local_names)
    if isinstance(e, ast.Call):
        if not isinstance(e.func, ast.Name) or e.keywords:
            return False
        fn = getattr(builtins, e.func.id, None) if namespace is None else \
            resolve(e.func, namespace, set(local_names))
        if fn is len and len(e.args) == 1 and isinstance(e.args[0], ast.Call) and \
                isinstance(e.args[0].func, ast.Name) and e.args[0].func.id == "range":
            # len(range(lo, hi, step)): a trip count in generated reverse loops
            return all(_is_int_expr(a, namespace, local_names) for a in e.args[0].args)
        return fn in INT_BUILTINS and fn is not int and \
            all(_is_int_expr(a, namespace, local_names) for a in e.args)
    if isinstance(e, ast.Attribute):
        return e.attr in ("size", "ndim") and isinstance(e.value, ast.Name)
    if isinstance(e, ast.Subscript):
        # x.shape[0] or an integer array read idx[i]
        base = e.value
        ok_base = isinstance(base, ast.Name) or (isinstance(base, ast.Attribute)
                                                  and base.attr == "shape"
                                                  and isinstance(base.value, ast.Name))
        return ok_base and _is_int_expr(e.slice, namespace, local_names)
    return False


def _written_params(src) -> set:
    """Parameters a function writes into (``p[i] = ...``, ``p[i] += ...``, and
    ``p *= c``, which NumPy does in the caller's array: program.py refuses it on a
    number, where Python rebinds the function's own name), but those first bound to
    a copy of themselves (``p = p.copy()``, as generated code does): their writes do
    not reach the caller's array."""
    params = set(src.params) - _copied_in(src)
    out = set()
    for node in nodes(src.tree):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AugAssign) else []
        for t in targets:
            if isinstance(t, ast.Subscript) or isinstance(node, ast.AugAssign):
                while isinstance(t, ast.Subscript):
                    t = t.value
                if isinstance(t, ast.Name) and t.id in params:
                    out.add(t.id)
    return out


def updated_params(src) -> dict:
    """Parameter -> its first ``p op= v`` statement (a whole parameter updated in place)."""
    out: dict = {}
    for node in nodes(src.tree):
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and \
                node.target.id in src.params:
            out.setdefault(node.target.id, node)
    return out


def _copied_in(src) -> set:
    """Parameters bound to a copy (``p = p.copy()``, or ``c = p.copy(); p = c``)
    by a statement at the top of the function before anything else writes or
    binds them."""
    copies, out, touched = set(), set(), set()
    for st in src.tree.body:
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and \
                isinstance(st.targets[0], ast.Name):
            name, v = st.targets[0].id, st.value
            copy_call = isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and \
                v.func.attr == "copy" and not v.args
            fresh = copy_call or (isinstance(v, ast.Name) and v.id in copies)
            if fresh:
                copies.add(name)
                if name in src.params and name not in touched:
                    out.add(name)
            touched.add(name)
            continue
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and \
                isinstance(st.value.func, ast.Attribute) and st.value.func.attr == "append":
            touched |= {n.id for n in nodes(st.value.func) if isinstance(n, ast.Name)}
            continue
        touched |= {n.id for n in nodes(st) if isinstance(n, ast.Name)}
    return out


def _rebound_written(src, written) -> tuple | None:
    """``(parameter, statement)``: a parameter the function writes into and also
    binds to another value (``out = out * 2.0``), whose later writes would not
    reach the caller's array; None when there is none."""
    for node in nodes(src.tree):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.For, ast.AnnAssign)) else []
        for t in targets:
            for n in (t.elts if isinstance(t, ast.Tuple) else [t]):
                if isinstance(n, ast.Name) and n.id in written:
                    return n.id, node
    return None


def normalize(src: FunctionSource, inplace=None,
              void_ok=False, checks=True) -> tuple[ast.FunctionDef, Normalizer]:
    """Run the pass; returns the normalized function and the pass state
    (globals and user functions the function refers to).

    ``inplace``: positions of parameters the function writes into; the
    function then works on copies of them and returns them (a tuple).
    ``void_ok``: a function without ``return`` is accepted (it returns 0.0),
    for the primal of a helper that only writes into its arguments.
    ``checks``: the function's asserts are kept as checks that raise (not in
    a CUDA kernel or a parallel loop, where an exception cannot reach the
    caller: left out there, as under ``python -O``)."""
    norm = Normalizer(src, void_ok=void_ok or bool(inplace), checks=checks)
    fn = norm.run()
    if inplace:
        line = ir.LINE(fn)
        copies = []
        for k in inplace:
            p = src.params[k]
            call = ast.Call(func=ast.Attribute(value=_name(p), attr="copy", ctx=ast.Load()),
                            args=[], keywords=[])
            tmp = norm.temp("copy")
            first = ast.Assign(targets=[_name(tmp, True)],
                               value=ir.mark(call, ("method", "copy")))
            second = ast.Assign(targets=[_name(p, True)], value=ir.mark(_name(tmp), ("copy",)))
            for stmt in (first, second):
                ir.tag(stmt, line, ir.Kind.ASSIGN)
                copies.append(stmt)
        ret = fn.body[-1]
        res = norm.temp("written")
        # the result first, then the arrays written into
        tup = ast.Tuple(elts=[ir.clone(ret.value)] + [_name(src.params[k]) for k in inplace],
                        ctx=ast.Load())
        assign = ast.Assign(targets=[_name(res, True)], value=ir.mark(tup, ("tuple",)))
        ir.tag(assign, ir.LINE(ret), ir.Kind.ASSIGN)
        new_ret = ast.Return(value=_name(res))
        ir.tag(new_ret, ir.LINE(ret), ir.Kind.RETURN)
        fn.body = copies + fn.body[:-1] + [assign, new_ret]
    return fn, norm


def _negative(e) -> bool:
    """``-k``, ``-1``: an exponent written negative."""
    return isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) or \
        isinstance(e, ast.Constant) and isinstance(e.value, (int, float)) and \
        not isinstance(e.value, bool) and e.value < 0


def _float_power(e):
    """``2 ** -k`` as ``2.0 ** -k`` and ``k ** -1`` as ``k ** -1.0``: Python's power
    of integers with a negative exponent is a float, Numba's an integer (0).
    The values are Python's (an exponent that is not negative gives the same
    number as a float)."""
    left, right = e.left, e.right
    if not _negative(right):
        return e
    if isinstance(left, ast.Constant) and type(left.value) is int:
        left = ast.copy_location(ast.Constant(float(left.value)), left)
    if isinstance(right, ast.Constant) and type(right.value) is int:
        right = ast.copy_location(ast.Constant(float(right.value)), right)
    elif isinstance(right, ast.UnaryOp) and isinstance(right.operand, ast.Constant) and \
            type(right.operand.value) is int:
        right = ast.copy_location(ast.Constant(-float(right.operand.value)), right)
    if left is e.left and right is e.right:
        return e
    return ast.copy_location(ast.BinOp(left=left, op=ast.Pow(), right=right), e)


def _pure(e) -> bool:
    """``e`` reads names, elements and attributes only: evaluating it twice in
    a row gives the same value."""
    return all(isinstance(n, (ast.Name, ast.Subscript, ast.Attribute, ast.Constant, ast.Load,
                              ast.BinOp, ast.UnaryOp, ast.Tuple, ast.Slice, ast.operator,
                              ast.unaryop))
               for n in nodes(e))


def _exits_in_test(s: ast.While) -> ast.While:
    """``while c: if b: break; rest`` as ``while c and not b: rest`` (and
    ``while True: if b: break; ...`` as ``while not b: ...``): the same tests
    in the same order, the exit the loop's own.  A search written either way
    (``while j < n - 1: if cw[j] >= u: break; j += 1``) is then the same loop,
    tested at the end of its body, with nothing of it guarded by a flag."""
    while len(s.body) > 1 and isinstance(s.body[0], ast.If) and not s.body[0].orelse and \
            len(s.body[0].body) == 1 and isinstance(s.body[0].body[0], ast.Break):
        leave = s.body[0].test
        stay = ast.copy_location(ast.UnaryOp(op=ast.Not(), operand=leave), leave)
        test = stay if isinstance(s.test, ast.Constant) and s.test.value is True else \
            ast.copy_location(ast.BoolOp(op=ast.And(), values=[s.test, stay]), s.test)
        s = ast.copy_location(ast.While(test=test, body=s.body[1:], orelse=[]), s)
    return s



def _clearing_before_breaks(stmts, flag) -> list:
    """``stmts`` (a loop's body) with ``flag = False`` before each ``break`` of
    that loop (not of a loop inside it)."""
    out = []
    for st in stmts:
        if isinstance(st, ast.Break):
            out.append(ast.copy_location(ast.Assign(targets=[_name(flag, True)],
                                                    value=ast.Constant(False)), st))
        elif isinstance(st, ast.If):
            st = ast.copy_location(ast.If(test=st.test,
                                          body=_clearing_before_breaks(st.body, flag),
                                          orelse=_clearing_before_breaks(st.orelse, flag)),
                                   st)
        elif isinstance(st, (ast.For, ast.While)) and st.orelse:
            # (an inner loop's else runs as part of the outer body: its breaks are ours)
            st = copy.copy(st)
            st.orelse = _clearing_before_breaks(st.orelse, flag)
        out.append(st)
    return out
