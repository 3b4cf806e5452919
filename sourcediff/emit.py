"""Emit generated functions as readable Python source.

Statements are rendered with astor; each group of statements that came from
one line of the user's function is preceded by a comment quoting that line,
so the adjoint can be read side by side with the original.

Every generated function is printed here. A function rewritten after it was
emitted (the per-element adjoint of a batched gradient, ``passes/kernel.py``)
starts from :func:`emitted`'s tree, which reads exactly as the printed source
and carries on each statement the comments printed above it
(``ir.COMMENTS``); it is printed back with those comments
(``emit_function(..., fixed=True)``).
"""
from __future__ import annotations

import ast
import re

import astor

from . import ir
from .passes.astutil import binding_targets, nodes
from .runtime import array_helpers, helpers  # noqa: F401  (they declare their helpers)
from .runtime.declare import helper_modules


def _negative(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
        and not isinstance(node.value, bool) and node.value < 0


class _NegativeConstants(ast.NodeTransformer):
    """``Constant(-0.75)`` as ``-(0.75)`` so astor parenthesizes ``(-0.75) ** 2``."""

    def visit_Constant(self, node):
        if _negative(node):
            return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(-node.value))
        return node


def _prepare(node):
    """``node`` ready to print: a copy with negative constants negated, or ``node``
    itself when it has none (most statements; astor does not change what it prints)."""
    if not any(_negative(n) for n in nodes(node)):
        return node
    return _NegativeConstants().visit(ir.clone(node))


def expr(node) -> str:
    return astor.to_source(_prepare(node)).strip()


class Emitter:
    def __init__(self, info=None, fixed=False, record=False):
        self.info = info     # SourceInfo of the user's function, for comments
        self.lines: list[str] = []
        # fixed: each statement's comments are its ir.COMMENTS (a rewritten function);
        # record: the comments printed above each statement are written into ir.COMMENTS
        self.fixed = fixed
        self.record = record

    def comment_for(self, line):
        if isinstance(line, ir.InlinedLine):
            return line.comment()      # the helper's line, and where it was inlined
        if self.info is None or line is None:
            return None
        text = self.info.lines[line - 1].strip() if 0 < line <= len(self.info.lines) else ""
        return f"# {self.info.name}:{line + self.info.line_offset}  {text}"

    def file_lines(self, text):
        """``@12`` (a line of the function) -> its line in the user's file."""
        offset = self.info.line_offset if self.info is not None else 0
        return re.sub(r"@(\d+)", lambda m: str(int(m.group(1)) + offset), text)

    def block(self, stmts, indent, last_line=None, lead=()):
        """Print statements, each after its comments; ``lead``: comment lines
        that go above the first (a section title)."""
        for s in stmts:
            comments, last_line = self.comments(s, last_line, list(lead))
            lead = ()
            if self.record:
                ir.COMMENTS.set(s, comments)
            self.lines += ["    " * indent + c for c in comments]
            self.stmt(s, indent)
        return last_line

    def comments(self, s, last_line, comments):
        """The comment lines above statement ``s`` (after ``comments``), and the
        user line quoted last: the user's line where it changes, then the note
        saying why the transform wrote the statement."""
        if self.fixed:
            return comments + list(ir.COMMENTS(s) or ()), last_line
        line = ir.LINE(s)
        if line is not None and not ir.same_line(line, last_line):
            c = self.comment_for(line)
            if c:
                comments.append(c)
            last_line = line
        note = ir.NOTE(s)
        if note:
            comments.append(self.file_lines(f"# {note}"))
        return comments, last_line

    def stmt(self, s, indent):
        pad = "    " * indent
        if isinstance(s, ast.If):
            self.lines.append(f"{pad}if {expr(s.test)}:")
            self.block(s.body or [ast.Pass()], indent + 1, ir.LINE(s))
            if s.orelse:
                self.lines.append(f"{pad}else:")
                self.block(s.orelse, indent + 1, ir.LINE(s))
        elif isinstance(s, ast.For):
            self.lines.append(f"{pad}for {expr(s.target)} in {expr(s.iter)}:")
            self.block(s.body or [ast.Pass()], indent + 1, ir.LINE(s))
        elif isinstance(s, ast.While):
            self.lines.append(f"{pad}while {expr(s.test)}:")
            self.block(s.body or [ast.Pass()], indent + 1, ir.LINE(s))
        elif _into_view(s):
            self.lines.append(pad + astor.to_source(_prepare(_add_into(s))).rstrip())
        elif _ties_added(s):
            self.lines.append(pad + astor.to_source(_prepare(_add_ties_shared(s))).rstrip())
        elif _scalar_accumulate(s):
            v = s.value
            op = "+=" if isinstance(v.op, ast.Add) else "-="
            self.lines.append(f"{pad}{expr(s.targets[0])} {op} {expr(v.right)}")
        else:
            self.lines.append(pad + astor.to_source(_prepare(s)).rstrip().replace("\n", "\n" + pad))

    def function(self, fn: ast.FunctionDef, docstring=None, sections=None):
        params = ", ".join(a.arg for a in fn.args.args)
        self.lines.append(f"def {fn.name}({params}):")
        if docstring:
            self.lines.append(f'    """{docstring}"""')
        plan = ir.PLAN(fn)    # the tape plan, for the reader
        if plan:
            self.lines.append("    # Plan:")
            self.lines += [f"    #   {self.file_lines(line)}" for line in plan]
        if sections is None:
            self.block(fn.body, 1)
        else:
            for title, stmts in sections:
                if stmts:
                    self.block(stmts, 1, lead=[f"# -- {title}"])
        self.lines.append("")
        return "\n".join(self.lines)


SECTION_TITLES = {
    "setup": "tape",
    "forward": "forward sweep",
    "init": "reverse sweep",
    "fused": "last loop: forward and reverse iterations fused",
    "value": "the value, from the fused loop's results",
    "reverse": "reverse sweep",
    "result": "result",
}


def emit_function(fn, info=None, docstring=None, fixed=False, record=False) -> str:
    """Source of a generated function; adjoints are split into their sweeps.

    ``fixed``: a function rewritten after emission, printed with the comments
    fixed on its statements (``ir.COMMENTS``), in one piece."""
    em = Emitter(info, fixed, record)
    if ir.REVERSE(fn) is None or fixed:
        return em.function(fn, docstring)
    sections = []
    for s in fn.body:
        title = SECTION_TITLES.get(ir.SECTION(s), "reverse sweep")
        if sections and sections[-1][0] == title:
            sections[-1][1].append(s)
        else:
            sections.append((title, [s]))
    return em.function(fn, docstring, sections)


def emitted(fn, info=None, docstring=None) -> tuple[str, ast.FunctionDef]:
    """The source of a generated function and the function as that source
    reads, for passes that rewrite generated code (``passes/kernel.py``).

    The tree is a copy of ``fn`` in the form the printed source parses to
    (accumulations as augmented assignments, negative numbers as negations,
    ``pass`` in empty blocks, load and store contexts as the parser sets
    them), its facts kept, each statement carrying the comments printed above
    it (``ir.COMMENTS``)."""
    tree = ir.clone(fn)
    text = emit_function(tree, info, docstring, record=True)
    return text, _as_printed(tree)


def _into_view(s) -> bool:
    """``dx[i, :] += g`` of an array (a view of ``dx``), or the user's ``a[i] += v`` /
    ``a[i] -= v`` / ``a[i] = v`` of an array ``v``: printed ``add_into(dx[i, :], g)``
    (``sub_into``, ``copy_into``)."""
    if isinstance(s, ast.Assign):
        return len(s.targets) == 1 and isinstance(s.targets[0], ast.Subscript) and \
            bool(ir.INTO_VIEW(s))
    return isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Subscript) and (
        isinstance(s.op, ast.Add) and ir.ARRAY(s)
        or isinstance(s.op, (ast.Add, ast.Sub)) and ir.INTO_VIEW(s))


def _add_into(s) -> ast.Expr:
    view = ir.clone(s.targets[0] if isinstance(s, ast.Assign) else s.target)
    view.ctx = ast.Load()
    helper = "copy_into" if isinstance(s, ast.Assign) else \
        "add_into" if isinstance(s.op, ast.Add) else "sub_into"
    call = ast.Call(func=ast.Name(id=helper, ctx=ast.Load()), args=[view, s.value],
                    keywords=[])
    return ir.copy_facts(s, ast.copy_location(ast.Expr(value=call), s))


def _ties_added(s) -> bool:
    """``dx += ties_shared(x, m, dm)`` (a full max's adjoint added into an adjoint):
    printed ``add_ties_shared(dx, x, m, dm)``, which adds the shares in place."""
    v = getattr(s, "value", None)
    return isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name) and \
        isinstance(s.op, ast.Add) and isinstance(v, ast.Call) and \
        isinstance(v.func, ast.Name) and v.func.id == "ties_shared" and \
        len(v.args) == 3 and not v.keywords


def _add_ties_shared(s) -> ast.Expr:
    call = ast.Call(func=ast.Name(id="add_ties_shared", ctx=ast.Load()),
                    args=[ast.Name(id=s.target.id, ctx=ast.Load()), *s.value.args], keywords=[])
    return ir.copy_facts(s, ast.copy_location(ast.Expr(value=call), s))


def _scalar_accumulate(s) -> bool:
    """``x = x + e`` of a scalar accumulation: printed ``x += e``."""
    return ir.KIND(s) == ir.Kind.ACCUMULATE and isinstance(s, ast.Assign) and not ir.ARRAY(s)


class _Printed(_NegativeConstants):
    """Statements in the form their printed source parses to."""

    def generic_visit(self, node):
        node = super().generic_visit(node)
        if isinstance(node, (ast.If, ast.For, ast.While)) and not node.body:
            node.body = [ast.Pass()]
        if _into_view(node):
            return _add_into(node)
        if _ties_added(node):
            return _add_ties_shared(node)
        if _scalar_accumulate(node):
            v = node.value
            aug = ast.AugAssign(target=node.targets[0],
                                op=ast.Add() if isinstance(v.op, ast.Add) else ast.Sub(),
                                value=v.right)
            node = ir.copy_facts(node, ast.copy_location(aug, node))
        return node


def _as_printed(fn):
    fn.body = [_Printed().visit(s) for s in fn.body]
    for n in nodes(fn):
        if hasattr(n, "ctx"):
            n.ctx = ast.Load()
    for n in nodes(fn):
        for t in binding_targets(n):
            _store(t)
    return fn


def _store(target):
    target.ctx = ast.Store()
    if isinstance(target, (ast.Tuple, ast.List)):
        for e in target.elts:
            _store(e)
    elif isinstance(target, ast.Starred):
        _store(target.value)


def module_source(functions: list[str], header: str) -> str:
    """A self-contained module: imports of NumPy, math and the helpers used."""
    body = "\n\n".join(functions)
    lines = [f"# {line}" for line in header.splitlines()]
    lines += ["import math", "", "import numpy as np", ""]
    called = _called(body)
    if "prange" in called and "import prange" not in body:
        lines += ["from numba import prange", ""]
    for module, names in helper_modules().items():
        used = sorted(n for n in names if n in called)
        if used:
            lines.append(f"from {module} import {', '.join(used)}")
            lines.append("")
    return "\n".join(lines) + "\n\n" + body


def _called(text) -> set:
    """The names ``text`` calls (``name(``), in one pass over it: a search per
    helper name went over the whole module a hundred times."""
    import re
    return set(re.findall(r"\b(\w+)\(", text))
