"""Inline calls to small user helper functions before differentiation.

A helper like ``sigmoid(v)`` or a cell update writing into the arrays it is
passed, called from the function being differentiated, would otherwise get a
primal copy and an adjoint of its own: each adjoint call recomputes the
helper's body (``exp`` in ``sigmoid``) instead of reusing the forward value,
and each generated function is one more Numba compile. Written into the
caller, the helper's statements are differentiated with the caller's: values
are stored or recomputed by one tape plan, and nothing more is compiled.

This pass runs on the user's AST (before ``normalize``) and rewrites the
statements of one function::

    i_gate = sigmoid(z[j])          v = z[j]
                              ->    i_gate = 1.0 / (1.0 + math.exp(-v))

A call is inlined when all of these hold (otherwise it stays a call, handled
as before: the callee's own adjoint, or the error the callee has today):

* the callee is a plain Python or ``numba.njit`` function we transform
  ourselves (no registered rule, ``sd.adjoint``/custom VJPs keep being used;
  not an ``@sd.function``, a checkpointed function or generated code), its
  source is readable and inside the subset (``normalize`` accepts it alone);
* it is not recursive, directly or through other functions;
* it has at most one ``return``, as its last statement (or none: then it is
  run for what it writes into its array arguments, as a statement); a helper
  reading elements of an array parameter and returning early from ``if``
  branches (``if x < 0.0: return c[0] * x`` then ``return c[1] * x``) is
  first written with one result (``_single_exit``): called, its adjoint would
  allocate the array's adjoint every call;
* it is small (``MAX_STATEMENTS``; a formula of numbers:
  ``MAX_FORMULA_OPERATIONS``) and the caller has not grown too much already
  (``MAX_GROWTH``);
* it is called with its parameters' number of positional arguments, and an
  array it writes into is passed as a plain name (then that name is used in
  the body, so the writes land in the caller's array, as the call did);
* the globals it uses denote in the caller what they denote in the callee's
  module (a name the caller does not know is added to the caller's
  namespace; one it binds to something else, or uses as a local, stops it).

The helper's locals get fresh names; a parameter is replaced by its argument
when that is a name or a number the helper does not rebind, else bound to a
fresh variable first. Calls are taken out of an expression in evaluation
order (the arguments first); calls in the branches of ``and``/``or``/``x if c
else y``, in a ``while`` test and in assignment targets are evaluated
conditionally or repeatedly and stay calls, and a helper writing into its
arguments is inlined only as a whole statement (``f(a, b)`` or ``r = f(a)``)
so no read in the same statement moves across its writes.

Line comments stay truthful: an inlined statement's line is an
``ir.InlinedLine``, the caller's call line for errors and tape plans, quoting
the helper's own line and the call sites in the generated code's comments.
"""
from __future__ import annotations

import ast
import builtins
import dataclasses
from dataclasses import dataclass

from .. import ir
from ..errors import TransformError
from ..frontend.source import FunctionSource, get_source, unwrap
from ..names import Namer
from .astutil import free_names, nodes, stored_names
from .resolve import MISSING, positional_args, resolve
from .static_args import bind_static_args, is_static_constant

# A helper is inlined only if its body, its own helpers inlined, has at most
# this many statements (nested ones counted). Every call site gets a copy: a
# small body (an activation, a cell update, a few loops) costs less copied
# than called -- its adjoint recomputes it, and each generated function is a
# compile of its own -- while a large one would make the caller, and its
# compile time, grow with every call site for a call overhead it hardly saves.
MAX_STATEMENTS = 40
# A helper that is a formula of numbers (no loop, no indexing: a right-hand
# side ``rhs(th1, th2, w1, w2) -> (w1, w2, a1, a2)``) is inlined only up to
# this many operations. Called, it costs a few register moves and its adjoint
# recomputes it from its arguments; copied at every call site, each copy's
# intermediate values join the caller's tape plan, which may store them (a
# double pendulum's 66-operation right-hand side inlined at its four RK4
# stages: ~150 values stored per step, 96 ms a gradient and an 83 s first
# compile; called: 64 ms and 21 s). A helper that indexes arrays or loops
# keeps the statement limit: inlined, its small arrays become numbers
# (passes/small_arrays.py), which a call would allocate (a 4-vector RK4
# right-hand side: 13.8 ms inlined, 177 ms called).
MAX_FORMULA_OPERATIONS = 40
# ... and a caller grows by at most this many inlined statements (a helper
# called from many places stays a call past it).
MAX_GROWTH = 240
# A helper called at several sites is copied into at most this many statements
# in all (at least once), into the sites that run most often first
# (``_site_weights``); at its other sites it stays a call.  Each copy's adjoint
# is compiled again: a ray marcher's 17-statement scene function at three sites
# (its march loop, a 3-step Newton polish, one final evaluation) took a 4.8 s
# first call copied at all three, 4.0 s at two, 2.8 s at the march loop only,
# whose gradient was 10% slower than with three copies.  A small helper is
# copied everywhere (an activation; an RK4 right-hand side of 6 statements at
# its four stages: called, its small arrays would be allocated, 13x slower).
# The sites that run most often are copied all (the four stages of one step: a
# 14-statement right-hand side at all four, 56 statements); less frequent ones
# as the budget allows, in the order they are written (a sphere tracer's six
# normal-estimate calls after its march loop's: three copied, three called).
MAX_COPIED = 32
# how often a call site is taken to run, per enclosing loop: ``range(c)`` of a
# constant ``c`` runs ``c`` times, any other loop this many; a branch half the time
LOOP_WEIGHT = 64

_BUILTIN_NAMES = set(dir(builtins))


@dataclass
class Helper:
    """A function ready to be copied into its callers."""
    src: FunctionSource
    params: list
    body: list            # statements, its own helpers inlined, without the return
    result: ast.expr | None   # the returned expression (None: returns nothing)
    result_line: object       # the return statement's line
    locals: set           # names it stores (parameters included)
    rebound: set          # parameters it assigns to
    written: set          # parameters it writes into (``p[i] = ...``)
    globals: dict         # other names it uses -> the object each denotes
    size: int             # statements in ``body``


def inline_calls(src: FunctionSource) -> FunctionSource:
    """``src`` with the calls to small helpers inlined (``src`` itself when none is).

    The result has the same function, source info and jit options, a new tree
    and, when inlined code uses globals the caller does not, a namespace with
    them added."""
    if getattr(src.func, "__sourcediff_generated__", False):
        return src      # generated code (an adjoint transformed again) keeps its calls
    inliner = Inliner(src, (src.func,), {})
    tree = inliner.run()
    if not inliner.inlined:
        return src
    return FunctionSource(src.func, tree, src.info, inliner.namespace, src.jit_options)


class Inliner:
    """Inlines into one function; ``stack``: the functions being inlined into
    (a call to one of them is recursion), ``helpers``: the helpers met so far
    (shared by the nested inliners of one run)."""

    def __init__(self, src: FunctionSource, stack: tuple, helpers: dict):
        self.src = src
        self.stack = stack
        self.helpers = helpers
        self.namespace = src.namespace       # copied before the first change
        self.own_namespace = False
        self.locals = set(src.params) | stored_names(src.tree)
        taken = free_names(src.tree) | self.locals | set(src.namespace) | _BUILTIN_NAMES
        self.namer = Namer(taken)
        self.inlined = 0
        self.growth = 0
        self.recursive = False      # a call back into a function on the stack
        self.weights: dict = {}     # id(call) -> how often it runs (_site_weights)
        self.copied: dict = {}      # helper -> the ids of the calls copied into

    def run(self) -> ast.FunctionDef:
        tree = ir.clone(self.src.tree)
        self.weights = _site_weights(tree.body, 1.0, {})
        tree.body = self.block(tree.body)
        return tree

    # -- statements --------------------------------------------------------
    def block(self, stmts) -> list:
        out = []
        for s in stmts:
            out.extend(self.statement(s))
        return out

    def statement(self, s) -> list:
        pre: list = []
        if isinstance(s, (ast.Expr, ast.Assign)) and isinstance(s.value, ast.Call):
            whole = self.whole_call(s, pre)
            if whole is not None:
                return pre + whole
            if isinstance(s, ast.Expr):      # stays a call: only its arguments
                s.value.args = [self.expr(a, pre, s) for a in s.value.args]
                return pre + [s]
        if isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return)):
            if s.value is not None:
                s.value = self.expr(s.value, pre, s)
        elif isinstance(s, ast.If):
            s.test = self.expr(s.test, pre, s)
            s.body, s.orelse = self.block(s.body), self.block(s.orelse)
        elif isinstance(s, ast.For):
            s.iter = self.expr(s.iter, pre, s)
            s.body, s.orelse = self.block(s.body), self.block(s.orelse)
        elif isinstance(s, ast.While):      # its test runs before every iteration: kept
            s.body, s.orelse = self.block(s.body), self.block(s.orelse)
        return pre + [s]

    def whole_call(self, s, pre) -> list | None:
        """``f(a, b)`` or ``target = f(a)`` with ``f`` inlined: the statements
        replacing ``s`` (after ``pre``, the arguments' own inlined calls), or None."""
        call = s.value
        helper = self.helper_of(call)
        if helper is None or (isinstance(s, ast.Expr) and not helper.written):
            return None     # a call for nothing keeps the error it has today
        if isinstance(s, ast.Assign) and helper.result is None:
            return None
        call.args = [self.expr(a, pre, s) for a in call.args]
        copied = self.copy_of(helper, call, s)
        if copied is None:
            return None
        body, result = copied
        if isinstance(s, ast.Expr):
            if result is None or not any(isinstance(n, ast.Call) for n in nodes(result)):
                return body
            s.value = result
            return body + [s]
        s.value = result
        where = f"{self.src.name}:{s.lineno + self.src.info.line_offset}"
        s.lineno = s.end_lineno = _moved(helper.result_line, s, where, helper.src)
        return body + [s]

    # -- expressions -------------------------------------------------------
    def expr(self, e, pre, stmt):
        """``e`` with its inlinable calls replaced by their results; the inlined
        statements go to ``pre``, in evaluation order."""
        if isinstance(e, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                          ast.GeneratorExp, ast.NamedExpr)):
            return e
        if isinstance(e, ast.BoolOp):         # later operands run only sometimes
            e.values[0] = self.expr(e.values[0], pre, stmt)
            return e
        if isinstance(e, ast.IfExp):
            e.test = self.expr(e.test, pre, stmt)
            return e
        if isinstance(e, ast.Compare):        # a chain stops at the first false test
            e.left = self.expr(e.left, pre, stmt)
            e.comparators[0] = self.expr(e.comparators[0], pre, stmt)
            return e
        for field, value in ast.iter_fields(e):
            if isinstance(value, ast.expr):
                setattr(e, field, self.expr(value, pre, stmt))
            elif isinstance(value, list):
                setattr(e, field, [self.expr(v, pre, stmt) if isinstance(v, ast.expr) else v
                                   for v in value])
        if isinstance(e, ast.Call):
            for k in e.keywords:
                k.value = self.expr(k.value, pre, stmt)
            helper = self.helper_of(e)
            if helper is not None and helper.result is not None and not helper.written:
                copied = self.copy_of(helper, e, stmt)
                if copied is not None:
                    body, result = copied
                    pre.extend(body)
                    return self.result_in(helper, result, stmt, pre)
        return e

    def result_in(self, helper: Helper, result, stmt, pre):
        """What replaces the call in its expression: the result when it is a name
        or a number, else a fresh variable assigned in a statement of its own
        (after ``pre``), which quotes the helper's return line."""
        if isinstance(result, (ast.Name, ast.Constant)):
            return result
        fresh = self.fresh(f"{helper.src.name}_result")
        value = ast.Assign(targets=[ast.Name(id=fresh, ctx=ast.Store())], value=result)
        where = f"{self.src.name}:{stmt.lineno + self.src.info.line_offset}"
        value.lineno = value.end_lineno = _moved(helper.result_line, stmt, where, helper.src)
        value.col_offset = value.end_col_offset = stmt.col_offset
        pre.append(value)
        return ast.Name(id=fresh, ctx=ast.Load())

    # -- helpers -------------------------------------------------------------
    def helper_of(self, call) -> Helper | None:
        """The helper ``call`` calls, when it can be inlined."""
        fn = resolve(call.func, self.namespace, self.locals)
        if fn is MISSING or any(isinstance(a, ast.Starred) for a in call.args):
            return None
        from ..rules import registry
        if not registry.is_user_function(fn) or hasattr(fn, "__sourcediff_function__"):
            return None
        func, _ = unwrap(fn)
        args = positional_args(call, func)
        if args is None:
            return None
        call.args, call.keywords = args, []
        if func in self.stack:
            self.recursive = True
            return None
        # a string or None argument: the helper specialized on it (static_args)
        try:
            params = get_source(func).params
        except (TransformError, TypeError):
            params = []         # (make_helper says no, below)
        statics = {p: a.value for p, a in zip(params, args) if is_static_constant(a)}
        key = (func, tuple(sorted(statics.items(), key=repr))) if statics else func
        if key not in self.helpers:
            self.helpers[key] = None          # while it is examined: a call back is recursion
            # (the other arguments are not None unless they are names: a parameter
            # of the caller may be)
            others = [p for p, a in zip(params, args)
                      if p not in statics and not isinstance(a, ast.Name)]
            self.helpers[key] = make_helper(func, self.stack, self.helpers,
                                            statics and (statics, others))
        helper = self.helpers[key]
        if helper is None or len(call.args) != len(helper.params):
            return None
        return helper

    def copy_of(self, helper: Helper, call, stmt):
        """The helper's statements for this call, and the expression of its result
        (None when it returns nothing); None when this call cannot take them."""
        if self.growth + helper.size > MAX_GROWTH or not self.globals_agree(helper) or \
                not self.among_copied(helper, call):
            return None
        views = {p: a for p, a in zip(helper.params, call.args)
                 if p in helper.written and not isinstance(a, ast.Name)}
        if any(not self.written_view(a, call) for a in views.values()):
            return None               # writes into a temporary would be lost
        for name in helper.globals:      # a fresh local must not hide them
            self.namer.take(name)
        binding, mapping, back = [], {}, []
        for param, arg in views.items():
            # a view it writes into (``rhs(y, p, k[s])``): a copy of it, stored
            # back after the helper's statements (the same index, whose names
            # the helper cannot rebind)
            fresh = self.fresh(param)
            copy = ast.Call(func=ast.Attribute(value=arg, attr="copy", ctx=ast.Load()),
                            args=[], keywords=[])
            bind = ast.Assign(targets=[ast.Name(id=fresh, ctx=ast.Store())], value=copy)
            binding.append(ast.copy_location(bind, stmt))
            store = ast.Assign(targets=[ast.Subscript(value=ir.clone(arg.value),
                                                      slice=ir.clone(arg.slice),
                                                      ctx=ast.Store())],
                               value=ast.Name(id=fresh, ctx=ast.Load()))
            back.append(ast.fix_missing_locations(ast.copy_location(store, stmt)))
            mapping[param] = ast.Name(id=fresh, ctx=ast.Load())
        for param, arg in zip(helper.params, call.args):
            if param in views:
                continue
            if param not in helper.rebound and (isinstance(arg, ast.Name) or _is_number(arg)
                                                or is_static_constant(arg)):
                mapping[param] = arg
                continue
            fresh = self.fresh(param)
            if is_static_constant(arg):
                # a string or None: the helper was specialized on it, which left no
                # read of it (only the names it binds again)
                mapping[param] = ast.Name(id=fresh, ctx=ast.Load())
                continue
            bind = ast.Assign(targets=[ast.Name(id=fresh, ctx=ast.Store())], value=arg)
            binding.append(ast.copy_location(bind, stmt))
            mapping[param] = ast.Name(id=fresh, ctx=ast.Load())
        for name in sorted(helper.locals - set(helper.params)):
            mapping[name] = ast.Name(id=self.fresh(name), ctx=ast.Load())
        where = f"{self.src.name}:{stmt.lineno + self.src.info.line_offset}"
        body = [_Rename(mapping).visit(ir.clone(s)) for s in helper.body]
        for s in body:
            _relocate(s, stmt, where, helper.src)
        result = None
        if helper.result is not None:
            result = _Rename(mapping).visit(ir.clone(helper.result))
            _relocate(result, stmt, where, helper.src)
        self.add_globals(helper)
        self.inlined += 1
        self.growth += helper.size
        return binding + body + back, result

    def among_copied(self, helper: Helper, call) -> bool:
        """``call`` is one of the sites of ``helper`` that run most often, as many
        as ``MAX_COPIED`` statements allow (at least one)."""
        sites = self.copied.get(id(helper))
        if sites is None:
            calls = [c for c in self.weights.values() if self.resolves_to(c[1], helper)]
            calls.sort(key=lambda c: (-c[0], c[2]))
            n = max(1, MAX_COPIED // max(helper.size, 1))
            # (every site that runs as often as the most frequent one: an RK4
            # right-hand side of 14 statements copied at two of its four stages
            # left calls in the step loop, whose adjoints kept their arrays on
            # lists, 3.5x the gradient with all four copied)
            hot = [c for c in calls if c[0] >= calls[0][0]]
            sites = self.copied[id(helper)] = {id(c[1]) for c in calls[:n] + hot}
        return id(call) in sites or id(call) not in self.weights

    def resolves_to(self, call, helper: Helper) -> bool:
        fn = resolve(call.func, self.namespace, self.locals)
        return fn is not MISSING and unwrap(fn)[0] is helper.src.func

    def written_view(self, arg, call) -> bool:
        """``arg`` is a view ``a[i]`` of a local array that no other argument of
        ``call`` names, indexed by names and numbers only (evaluated again to
        store the helper's writes back)."""
        if not (isinstance(arg, ast.Subscript) and isinstance(arg.value, ast.Name)
                and arg.value.id in self.locals):
            return False
        simple = (ast.Name, ast.Constant, ast.Slice, ast.Tuple, ast.BinOp, ast.UnaryOp,
                  ast.operator, ast.unaryop, ast.expr_context)
        if not all(isinstance(n, simple) for n in nodes(arg.slice)):
            return False
        others = [a for a in call.args if a is not arg]
        return not any(isinstance(n, ast.Name) and n.id == arg.value.id
                       for a in others for n in nodes(a))

    def fresh(self, name: str) -> str:
        new = self.namer.fresh(name)
        self.locals.add(new)
        return new

    def globals_agree(self, helper: Helper) -> bool:
        for name, obj in helper.globals.items():
            if name in self.locals:
                return False
            mine = resolve(ast.Name(id=name, ctx=ast.Load()), self.namespace, set())
            if mine is not MISSING and mine is not obj:
                return False
        return True

    def add_globals(self, helper: Helper) -> None:
        for name, obj in helper.globals.items():
            if name not in self.namespace and getattr(builtins, name, MISSING) is not obj:
                if not self.own_namespace:
                    self.namespace, self.own_namespace = dict(self.namespace), True
                self.namespace[name] = obj
                self.namer.take(name)


def _site_weights(stmts, weight, out) -> dict:
    """id(call) -> ``(weight, call, order)`` for the calls in ``stmts``: how often
    each runs, for ``weight`` runs of ``stmts`` (``LOOP_WEIGHT``), and its place."""
    for s in stmts:
        inner = weight
        if isinstance(s, ast.For):
            it = s.iter
            count = it.args[-1] if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) \
                and it.func.id == "range" and len(it.args) == 1 else None
            inner = weight * (count.value if isinstance(count, ast.Constant) and
                              type(count.value) is int else LOOP_WEIGHT)
        elif isinstance(s, ast.While):
            inner = weight * LOOP_WEIGHT
        elif isinstance(s, ast.If):
            inner = weight / 2.0
        own = [getattr(s, f) for f in ("value", "test", "iter") if
               isinstance(getattr(s, f, None), ast.AST)]
        for e in own:
            for n in nodes(e):
                if isinstance(n, ast.Call):
                    out[id(n)] = (inner if isinstance(s, ast.While) else weight, n, len(out))
        for f in ("body", "orelse"):
            _site_weights(getattr(s, f, None) or [], inner, out)
    return out


def make_helper(func, stack: tuple, helpers: dict, statics=None) -> Helper | None:
    """``func`` as a :class:`Helper`, or None when it is not to be inlined.
    ``statics``: ``(values, others)`` of :func:`bind_static_args`, the strings
    and None a call passes."""
    if getattr(func, "__sourcediff_checkpoint__", None) or \
            getattr(func, "__sourcediff_generated__", False):
        return None
    try:
        src = get_source(func)
        if statics:
            src = bind_static_args(src, *statics)
        from .normalize import Normalizer
        Normalizer(src, void_ok=True, values_unknown=True).run()  # in the subset on its own
    except (TransformError, TypeError):
        return None
    # (one writing into or rebinding its parameters keeps its returns: it stays a
    # call, whose own checks name the parameter; so does one of numbers only, whose
    # adjoint allocates nothing and which a re-run nest may call again: Burgers'
    # minmod, inlined, was stored element by element, 1.5x slower)
    single = _single_exit(src.tree) if _indexes_a_parameter(src.tree, src.params) and not (
        _written_params(src.tree, src.params) or set(src.params) & stored_names(src.tree)) \
        else None
    if single is not None:
        src = dataclasses.replace(src, tree=single)
    body = list(src.tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]     # docstring
    returns = [n for n in nodes(src.tree) if isinstance(n, ast.Return)]
    if len(returns) > 1 or (returns and body[-1] is not returns[0]):
        return None     # (defaults are never used: a call passes every parameter)
    inner = Inliner(src, stack + (func,), helpers)
    tree = inner.run()
    if inner.recursive:
        return None
    body = list(tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    result, result_line = None, None
    if returns:
        ret = body.pop()
        result, result_line = ret.value, ret.lineno
    size = sum(1 for s in body for n in nodes(s) if isinstance(n, ast.stmt)) + 1
    if size > MAX_STATEMENTS or _formula_operations(tree) > MAX_FORMULA_OPERATIONS:
        return None
    params = src.params
    locals_ = set(params) | stored_names(tree)
    names = free_names(tree) - locals_
    known = {}
    for name in names:
        obj = resolve(ast.Name(id=name, ctx=ast.Load()), inner.namespace, set())
        if obj is MISSING:
            return None
        known[name] = obj
    rebound = set(params) & stored_names(tree)
    written = _written_params(tree, params)
    if written & rebound:
        return None
    return Helper(src, params, body, result, result_line, locals_, rebound, written, known,
                  size)


def _single_exit(tree: ast.FunctionDef):
    """A helper returning early (``if x < 0.0: return a`` then ``return b``)
    rewritten to bind one result and return it last (``if x < 0.0: result =
    a`` / ``else: result = b``), so it can be inlined; None when it has one
    return already, or a return in a loop or one some path falls past."""
    returns = [n for n in nodes(tree) if isinstance(n, ast.Return)]
    if len(returns) < 2 or any(isinstance(n, ast.Return) for loop in nodes(tree)
                               if isinstance(loop, (ast.For, ast.While))
                               for n in nodes(loop)):
        return None
    taken = {n.id for n in nodes(tree) if isinstance(n, ast.Name)} | \
        {a.arg for a in tree.args.args}
    result = Namer(taken).prefixed("result")
    body = _returning(list(tree.body), result)
    if body is None:
        return None
    last = max(returns, key=lambda n: (n.lineno, n.col_offset))
    ret = ast.copy_location(ast.Return(value=ast.Name(id=result, ctx=ast.Load())), last)
    new = ast.copy_location(ast.FunctionDef(name=tree.name, args=tree.args, body=body + [ret],
                                            decorator_list=tree.decorator_list,
                                            returns=tree.returns, type_comment=None,
                                            type_params=getattr(tree, "type_params", [])), tree)
    return ast.fix_missing_locations(new)


def _indexes_a_parameter(tree, params) -> bool:
    """The helper reads elements of a parameter (``c[0]``): an array, whose
    adjoint a call of the helper's own adjoint would allocate every call."""
    return any(isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and
               n.value.id in params for n in nodes(tree))


def _returning(block: list, result: str):
    """``block``, every path of which ends in a return, with each return
    ``result = value`` and what follows an ``if`` that returns on some path
    moved into the path that does not; None when some path does not return."""
    for k, s in enumerate(block):
        if isinstance(s, ast.Return):
            if s.value is None:
                return None
            bind = ast.copy_location(ast.Assign(targets=[ast.Name(id=result, ctx=ast.Store())],
                                                value=s.value), s)
            return block[:k] + [bind]
        if isinstance(s, ast.If) and any(isinstance(n, ast.Return) for n in nodes(s)):
            body = _returning(list(s.body), result)
            orelse = _returning(list(s.orelse) + block[k + 1:], result)
            if body is None or orelse is None:
                return None
            return block[:k] + [ast.copy_location(ast.If(test=s.test, body=body, orelse=orelse),
                                                  s)]
    return None


def _formula_operations(tree) -> int:
    """The operations of a helper that is a formula of numbers (no loop, no
    subscript), else 0 (the statement limit alone applies)."""
    found = list(nodes(tree))
    if any(isinstance(n, (ast.For, ast.While, ast.Subscript)) for n in found):
        return 0
    return sum(1 for n in found
               if isinstance(n, (ast.BinOp, ast.UnaryOp, ast.Call, ast.Compare, ast.BoolOp)))


def _written_params(tree, params) -> set:
    """Parameters the function writes into (``p[i] = ...``, ``p[i] += ...``)."""
    out = set()
    for node in nodes(tree):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            while isinstance(t, (ast.Subscript, ast.Attribute)):
                t = t.value
                if isinstance(t, ast.Name) and t.id in params:
                    out.add(t.id)
    return out


def _is_number(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and \
        not isinstance(node.value, bool)


class _Rename(ast.NodeTransformer):
    """Names replaced by the nodes in ``mapping`` (a name keeps its load/store context)."""

    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        new = self.mapping.get(node.id)
        if new is None:
            return node
        if isinstance(new, ast.Name):
            return ast.copy_location(ast.Name(id=new.id, ctx=node.ctx), node)
        return ast.copy_location(ir.clone(new), node)


def _relocate(node, call_stmt, where: str, helper: FunctionSource) -> None:
    """Every node of inlined ``node`` placed at the call (the caller's line) and
    quoting the helper's line it comes from (``ir.InlinedLine``)."""
    for n in nodes(node):
        if hasattr(n, "lineno"):
            n.lineno = n.end_lineno = _moved(n.lineno, call_stmt, where, helper)
            n.col_offset = n.end_col_offset = call_stmt.col_offset


def _moved(line, call_stmt, where: str, helper: FunctionSource) -> ir.InlinedLine:
    """Line ``line`` of ``helper`` (or of what was inlined into it) once the
    helper is inlined at ``call_stmt``, the call written at ``where``."""
    if isinstance(line, ir.InlinedLine):      # inlined into the helper already
        return ir.InlinedLine(call_stmt.lineno, line.quote, line.via + (where,))
    info = helper.info
    text = info.lines[line - 1].strip() if 0 < line <= len(info.lines) else ""
    return ir.InlinedLine(call_stmt.lineno, f"{info.name}:{line + info.line_offset}  {text}",
                          (where,))
