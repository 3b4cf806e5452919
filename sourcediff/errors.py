"""Errors raised while transforming user code.

A :class:`TransformError` points at the user's own source: file, line,
column and the offending line, so a bad construct is reported where it was
written, at transform time, instead of producing a wrong gradient later.
"""
from __future__ import annotations

import ast

from . import ir


class NonScalarResult(TypeError):
    """A transform that needs a scalar result (``grad``, ``value_and_grad``)
    of a function returning an array: the Tensor bridge takes the VJP path."""


class TransformError(Exception):
    """A construct outside the differentiable subset.

    ``str(err)`` reads ``file.py:12:8: cannot differentiate through 'yield'``
    followed by the source line and a caret under the column.
    """

    def __init__(self, message: str, filename: str = "<unknown>", lineno: int = 0,
                 col_offset: int = 0, source_line: str = ""):
        self.message = message
        # the variable whose types do not join, when that is the trouble (type
        # inference sets it; the caller may give the variable versions and retry)
        self.variable: str | None = None
        # an array-valued part of an index (``idx2d[0]`` in ``x[idx2d[0]]``),
        # when that is the trouble: the caller may name it first and retry
        self.index_array = None
        self.tuple_length = None     # ... or a tuple of that many integers (K[ij])
        self.indexed_number = None   # a number read as v[k] (np.add.at's value)
        self.filename = filename
        self.lineno = lineno
        self.col_offset = col_offset
        self.source_line = source_line
        super().__init__(self._format())

    def _format(self) -> str:
        head = f"{self.filename}:{self.lineno}:{self.col_offset}: {self.message}"
        if not self.source_line:
            return head
        line = self.source_line.rstrip()
        stripped = line.lstrip()
        caret = " " * max(0, self.col_offset - (len(line) - len(stripped)))
        return f"{head}\n    {stripped}\n    {caret}^"


class SourceInfo:
    """Where a function's source lives, to turn AST positions into messages."""

    def __init__(self, filename: str, lines: list[str], line_offset: int, col_offset: int,
                 name: str):
        self.filename = filename
        self.lines = lines          # the function's source lines, dedented
        self.line_offset = line_offset  # add to AST lineno to get the file's line
        self.col_offset = col_offset    # indentation removed by dedent
        self.name = name

    @staticmethod
    def _line(node) -> int:
        return ir.LINE(node) or getattr(node, "lineno", 1)

    def file_line(self, node: ast.AST) -> int:
        return self._line(node) + self.line_offset

    def text(self, node: ast.AST) -> str:
        i = self._line(node) - 1
        if 0 <= i < len(self.lines):
            return self.lines[i]
        return ""

    def error(self, node: ast.AST, message: str) -> TransformError:
        col = getattr(node, "col_offset", 0) if not ir.LINE.has(node) else \
            len(self.text(node)) - len(self.text(node).lstrip())
        line = self._line(node)
        if isinstance(line, ir.InlinedLine):      # reported at the call, naming the helper's line
            message = f"{message} (in the inlined {line.quote.strip()})"
        return TransformError(message, self.filename, self.file_line(node),
                              col + self.col_offset,
                              self.text(node))
