"""``unbroadcast(E, y)`` of an adjoint ``E`` already of ``y``'s shape is ``E``.

The derivative rules of elementwise operations sum an operand's adjoint down to
its shape, because NumPy may have broadcast it (``z = x + b`` with a row ``b``)::

    dx += unbroadcast(dz, x)
    db += unbroadcast(dz, b)

Where ``z`` and ``x`` have one shape (``shapes.shape_keys`` gives them one key)
the first call returns ``dz`` itself; it is still a call Numba compiles for
each combination of argument types the first time (0.1 to 0.3 s each, ten in a
softmax cross-entropy's gradient) and runs each time.  This pass, over the
reverse sweep, writes ``E`` for such calls: ``E`` elementwise arithmetic
(``+ - * / **``, unary ``-``) of numbers, constants and arrays whose keys are
``y``'s, at least one of them (an adjoint that is a number standing for an array
is summed by the call: left alone).
"""
from __future__ import annotations

import ast

_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)


def drop_same_shape_unbroadcasts(stmts: list, arrays: dict, numbers: set) -> list:
    """``stmts`` with those calls replaced, in place.  ``arrays``: name ->
    ``(ndim, shape key)`` of the keyed float64 arrays and their adjoint buffers;
    ``numbers``: the names of numbers (passes/reverse.py
    ``keyed_arrays_and_numbers``)."""
    if arrays:
        dropper = _Dropper(arrays, numbers)
        for s in stmts:
            dropper.visit(s)
    return stmts


class _Dropper(ast.NodeTransformer):
    def __init__(self, arrays, numbers):
        self.arrays, self.numbers = arrays, numbers

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "unbroadcast" and \
                len(node.args) == 2 and not node.keywords and \
                isinstance(node.args[1], ast.Name) and node.args[1].id in self.arrays:
            shape = self.arrays[node.args[1].id]
            if self.of_shape(node.args[0], shape) is True:
                return node.args[0]
        return node

    def of_shape(self, e, shape):
        """True: an array of ``shape``; False: a number; None: neither for sure."""
        if isinstance(e, ast.Name):
            if e.id in self.arrays:
                return True if self.arrays[e.id] == shape else None
            return False if e.id in self.numbers else None
        if isinstance(e, ast.Constant):
            return False if isinstance(e.value, (int, float)) and \
                not isinstance(e.value, bool) else None
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
            return self.of_shape(e.operand, shape)
        if isinstance(e, ast.BinOp) and isinstance(e.op, _OPS):
            left, right = self.of_shape(e.left, shape), self.of_shape(e.right, shape)
            if left is None or right is None:
                return None
            return left or right
        return None
