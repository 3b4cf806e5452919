"""A number first bound inside a loop and read in a later iteration gets a
placeholder before the function's first statement.

Python lets a loop read a value an earlier iteration left::

    for i in range(n):
        if i > 0:
            s = s + prev * 0.5
        prev = math.sin(s)

and Numba refuses it (``NotDefinedError``: ``prev`` is not bound on every
path to its read), in the primal and in the adjoint, so the error would come
from inside generated code.  On normalized and typed code, this pass binds
each such number (float64, int or bool) to zero at the top of the function.
Only a run in which Python would raise ``NameError`` reads the placeholder;
every other run binds the name before reading it, as before.  Placed at the
top, not before the loop: a loop inside another keeps its value from one
outer iteration to the next, as in Python.
"""
from __future__ import annotations

import ast

import numpy as np

from .. import ir
from .astutil import nodes


def exposed_reads(stmts) -> set:
    """Names ``stmts`` may read before binding them (upward-exposed reads): a
    name bound in a nested loop's body or in one branch of an ``if`` may not
    be bound after it."""
    out: set = set()
    _exposed(stmts, set(), out)
    return out


def _exposed(stmts, bound: set, out: set):
    for st in stmts:
        if isinstance(st, (ast.For, ast.While)):
            head = st.iter if isinstance(st, ast.For) else st.test
            out |= _loads(head) - bound
            inner = set(bound) | ({st.target.id} if isinstance(st, ast.For) and
                                  isinstance(st.target, ast.Name) else set())
            _exposed(st.body, inner, out)
            _exposed(st.orelse, set(bound), out)
        elif isinstance(st, ast.If):
            out |= _loads(st.test) - bound
            body, orelse = set(bound), set(bound)
            _exposed(st.body, body, out)
            _exposed(st.orelse, orelse, out)
            bound |= body & orelse
        else:
            reads = _loads(st)
            if isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name):
                reads.add(st.target.id)
            out |= reads - bound
            if isinstance(st, ast.Assign):
                bound |= {n.id for t in st.targets for n in nodes(t)
                          if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _loads(node) -> set:
    return {n.id for n in nodes(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def bind_placeholders(fn: ast.FunctionDef, env: dict) -> bool:
    """Rewrite ``fn`` in place; returns whether it changed."""
    params = {a.arg for a in fn.args.args}
    first: dict = {}                 # name -> the loop (id) around its first binding, or None
    order = []

    def visit(stmts, loops):
        for s in stmts:
            names = [s.target.id] if isinstance(s, ast.For) and isinstance(s.target, ast.Name) \
                else [n.id for t in getattr(s, "targets", []) for n in nodes(t)
                      if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
            for n in names:
                first.setdefault(n, loops)
            if isinstance(s, (ast.For, ast.While)):
                order.append(s)
                visit(s.body, loops + (id(s),))
            elif isinstance(s, ast.If):
                visit(s.body, loops)
                visit(s.orelse, loops)
    visit(fn.body, ())
    wanted = set()
    for loop in order:
        for v in exposed_reads(loop.body):
            t = env.get(v)
            if v in params or v not in first or id(loop) not in first[v] or t is None or \
                    not (t.kind in ("int", "bool") or t.kind == "float" and
                         t.dtype == np.float64):
                continue
            wanted.add(v)
    if not wanted:
        return False
    line = ir.LINE(fn.body[0]) if fn.body else fn.lineno
    zero = {"float": 0.0, "int": 0, "bool": False}
    fn.body = [ir.tag(ast.Assign(targets=[ast.Name(id=v, ctx=ast.Store())],
                                 value=ir.mark(ast.Constant(zero[env[v].kind]), ("const",))),
                      line, ir.Kind.ASSIGN)
               for v in sorted(wanted)] + fn.body
    return True
