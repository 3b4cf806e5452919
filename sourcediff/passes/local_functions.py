"""Functions defined inside the function being differentiated, lifted out.

A nested ``def g(t): ...`` or ``g = lambda t: ...`` in the body becomes a
helper like one defined at module level: a Python function of its own,
called (and inlined or differentiated) as any helper is.  The names of the
enclosing function it reads become parameters appended to its own, and every
call passes their values at the call: what a Python closure reads when it is
called::

    def f(x, k):                          def g(t, k):
        g = lambda t: k * t * t               return k * t * t
        return g(x[0]) + g(x[1])     ->   def f(x, k):
                                              return g(x[0], k) + g(x[1], k)

Refused, with the user's line: a local function used other than by calling
it (passed as a value), bound twice, or with defaults, ``*args`` or keyword-
only parameters, or one that assigns a name of an enclosing scope
(``nonlocal``, ``global``).
"""
from __future__ import annotations

import ast
import copy

from ..errors import SourceInfo
from ..frontend.source import FunctionSource, register_source
from .astutil import nodes, stored_names


def _blocks(stmts):
    """Every statement list of a body, nested function bodies excluded."""
    yield stmts
    for s in stmts:
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for f in ("body", "orelse", "finalbody"):
            inner = getattr(s, f, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                yield from _blocks(inner)


def _is_local_def(s) -> bool:
    """``def g(...)`` or ``g = lambda ...`` (see :func:`_as_def`)."""
    return isinstance(s, ast.FunctionDef) or (
        isinstance(s, ast.Assign) and len(s.targets) == 1
        and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Lambda))


def _as_def(s):
    """The ``FunctionDef`` a statement defines locally (``g = lambda ...`` too), else None."""
    if isinstance(s, ast.FunctionDef):
        return s
    if _is_local_def(s):
        lam = s.value
        ret = ast.copy_location(ast.Return(value=lam.body), lam.body)
        fields = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
        fdef = ast.FunctionDef(name=s.targets[0].id, args=lam.args, body=[ret],
                               decorator_list=[], returns=None, **fields)
        return ast.copy_location(fdef, s)
    return None


def _outer_names(stmts) -> set:
    """Names the enclosing function binds, nested function bodies excluded."""
    names = set()
    for block in _blocks(stmts):
        for s in block:
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(s.name)
                continue
            shallow = copy.copy(s)
            for f in ("body", "orelse", "finalbody"):
                if isinstance(getattr(shallow, f, None), list):
                    setattr(shallow, f, [])
            names |= stored_names(shallow)
    return names


def _reads(fdef) -> set:
    own = {a.arg for a in fdef.args.args} | stored_names(fdef)
    return {n.id for n in nodes(fdef) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)} - own


class _Calls(ast.NodeTransformer):
    """Appends each lifted function's extra arguments to its calls; records other uses."""

    def __init__(self, extras):
        self.extras = extras
        self.misused = []

    def visit_Call(self, node):
        f = node.func
        if not (isinstance(f, ast.Name) and f.id in self.extras):
            return self.generic_visit(node)
        node.args = [self.visit(a) for a in node.args] + [
            ast.copy_location(ast.Name(id=v, ctx=ast.Load()), node) for v in self.extras[f.id]]
        node.keywords = [self.visit(k) for k in node.keywords]
        return node

    def visit_Name(self, node):
        if node.id in self.extras:
            self.misused.append(node)
        return node


def lift_local_functions(src: FunctionSource) -> FunctionSource:
    """``src`` with its local functions lifted out (itself when it has none)."""
    if not any(_is_local_def(s) for block in _blocks(src.tree.body) for s in block):
        return src
    tree = copy.deepcopy(src.tree)
    found = [(block, s, _as_def(s)) for block in _blocks(tree.body) for s in block
             if _is_local_def(s)]
    info = src.info
    names = [fdef.name for _, _, fdef in found]
    for _, s, fdef in found:
        if names.count(fdef.name) > 1:
            raise info.error(s, f"the local function '{fdef.name}' is defined twice: give "
                                "each its own name")
        a = fdef.args
        if a.defaults or a.kw_defaults or a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
            raise info.error(s, f"the local function '{fdef.name}' may only have plain "
                                "parameters (no defaults, *args, **kwargs or keyword-only)")
        if fdef.decorator_list:
            raise info.error(s, f"the local function '{fdef.name}' cannot have decorators")
        scoped = next((n for n in nodes(fdef) if isinstance(n, (ast.Nonlocal, ast.Global))),
                      None)
        if scoped is not None:
            raise info.error(scoped, f"the local function '{fdef.name}' assigns "
                                     f"'{scoped.names[0]}' of an enclosing scope "
                                     f"('{type(scoped).__name__.lower()}'): return the new "
                                     "value instead")
    for block, s, _ in found:
        block.remove(s)
    outer = set(src.params) | _outer_names(tree.body)
    for name in names:
        if name in outer:
            where = next(n for n in nodes(tree) if isinstance(n, ast.Name) and n.id == name
                         and isinstance(n.ctx, ast.Store))
            raise info.error(where, f"'{name}' names a local function and is also assigned")
    # the enclosing names each reads (through the local functions it calls, too)
    extras = {fdef.name: _reads(fdef) & outer for _, _, fdef in found}
    calls = {fdef.name: _reads(fdef) & set(names) for _, _, fdef in found}
    changed = True
    while changed:
        changed = False
        for g in names:
            for h in calls[g]:
                if not extras[h] <= extras[g]:
                    extras[g] |= extras[h]
                    changed = True
    extras = {g: sorted(v) for g, v in extras.items()}
    rewrite = _Calls(extras)
    tree = rewrite.visit(tree)
    lifted = {}
    for _, _, fdef in found:
        fdef = rewrite.visit(fdef)
        fdef.args.args = fdef.args.args + [ast.arg(arg=v) for v in extras[fdef.name]]
        lifted[fdef.name] = fdef
    if rewrite.misused:
        node = rewrite.misused[0]
        raise info.error(node, f"the local function '{node.id}' can only be called here, not "
                               "used as a value: define it at module level to pass it around")
    namespace = dict(src.namespace)
    for name, fdef in lifted.items():
        fdef = ast.fix_missing_locations(fdef)
        code = ast.Module(body=[ast.increment_lineno(copy.deepcopy(fdef), info.line_offset)],
                          type_ignores=[])
        scope: dict = {}
        globals_ = getattr(src.func, "__globals__", {})
        exec(compile(code, info.filename, "exec"), globals_, scope)   # noqa: S102
        fn = scope[name]
        fn.__qualname__ = f"{src.name}.<locals>.{name}"
        own = SourceInfo(info.filename, info.lines, info.line_offset, info.col_offset, name)
        register_source(fn, FunctionSource(fn, fdef, own, namespace, src.jit_options))
        namespace[name] = fn
    return FunctionSource(src.func, tree, info, namespace, src.jit_options)
