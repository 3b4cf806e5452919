"""Emit generated functions as readable Python source.

Statements are rendered with astor; each group of statements that came from
one line of the user's function is preceded by a comment quoting that line,
so the adjoint can be read side by side with the original.
"""
from __future__ import annotations

import ast
import re

import astor

from . import ir
from .runtime import array_helpers, helpers  # noqa: F401  (they declare their helpers)
from .runtime.declare import helper_modules


class _NegativeConstants(ast.NodeTransformer):
    """``Constant(-0.75)`` as ``-(0.75)`` so astor parenthesizes ``(-0.75) ** 2``."""

    def visit_Constant(self, node):
        v = node.value
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
            return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(-v))
        return node


def _prepare(node):
    import copy
    return _NegativeConstants().visit(copy.deepcopy(node))


def expr(node) -> str:
    return astor.to_source(_prepare(node)).strip()


class Emitter:
    def __init__(self, info=None):
        self.info = info     # SourceInfo of the user's function, for comments
        self.lines: list[str] = []

    def comment_for(self, line):
        if self.info is None or line is None:
            return None
        text = self.info.lines[line - 1].strip() if 0 < line <= len(self.info.lines) else ""
        return f"# {self.info.name}:{line + self.info.line_offset}  {text}"

    def file_lines(self, text):
        """``@12`` (a line of the function) -> its line in the user's file."""
        offset = self.info.line_offset if self.info is not None else 0
        return re.sub(r"@(\d+)", lambda m: str(int(m.group(1)) + offset), text)

    def block(self, stmts, indent, last_line=None):
        for s in stmts:
            line = ir.LINE(s)
            if line is not None and line != last_line:
                c = self.comment_for(line)
                if c:
                    self.lines.append("    " * indent + c)
                last_line = line
            note = ir.NOTE(s)    # why the transform wrote this
            if note:
                self.lines.append("    " * indent + f"# {note}")
            self.stmt(s, indent)
        return last_line

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
        elif ir.KIND(s) == ir.Kind.ACCUMULATE and isinstance(s, ast.Assign) \
                and not ir.ARRAY(s):
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
                if not stmts:
                    continue
                self.lines.append(f"    # -- {title}")
                self.block(stmts, 1)
        self.lines.append("")
        return "\n".join(self.lines)


SECTION_TITLES = {
    "setup": "tape",
    "forward": "forward sweep",
    "init": "reverse sweep",
    "fused": "last loop: forward and reverse iterations fused",
    "reverse": "reverse sweep",
    "result": "result",
}


def emit_function(fn, info=None, docstring=None) -> str:
    """Source of a generated function; adjoints are split into their sweeps."""
    em = Emitter(info)
    if ir.REVERSE(fn) is None:
        return em.function(fn, docstring)
    sections = []
    for s in fn.body:
        title = SECTION_TITLES.get(ir.SECTION(s), "reverse sweep")
        if sections and sections[-1][0] == title:
            sections[-1][1].append(s)
        else:
            sections.append((title, [s]))
    return em.function(fn, docstring, sections)


def module_source(functions: list[str], header: str) -> str:
    """A self-contained module: imports of NumPy, math and the helpers used."""
    body = "\n\n".join(functions)
    lines = [f"# {line}" for line in header.splitlines()]
    lines += ["import math", "", "import numpy as np", ""]
    for module, names in helper_modules().items():
        used = sorted(n for n in names if _mentions(body, n))
        if used:
            lines.append(f"from {module} import {', '.join(used)}")
            lines.append("")
    return "\n".join(lines) + "\n\n" + body


def _mentions(text, name):
    import re
    return re.search(rf"\b{name}\(", text) is not None
