"""Kernel lowering works on the emitted tree, never on source text: the tree
``Program`` keeps for each generated function reads exactly as its printed
source, and tapes and adjoint buffers are the statements the reverse pass
marked (``ir.TAPE``, ``ir.ADJOINT_INIT``), whatever they look like."""
import ast

import numpy as np
import pytest

from sourcediff import ir
from sourcediff.passes import kernel
from sourcediff.passes.types import type_of_value
from sourcediff.program import Program

from . import batch_funcs as F

# function, wrt names, one element's arguments
CASES = {
    "gbm_call": (F.gbm_call, ["s0", "sigma"], (100.0, 0.2, np.ones(8), 0.05, 1.0, 95.0)),
    "while_break": (F.while_break, ["x"], (np.ones(7), 1.2)),
    "calls_helper": (F.calls_helper, ["x", "c"], (np.ones(3), 0.5)),
    "weighted": (F.weighted, ["x", "w"], (np.ones(5), np.ones(5))),
    "branches": (F.branches, ["x", "y"], (0.3, 0.4)),
}


def _program(name):
    func, wrt, args = CASES[name]
    types = [type_of_value(a) for a in args]
    program = Program(func, types)
    entry = program.analyze(func, types)
    grad = program.adjoint(func, types, wrt, "grad")
    return program, grad, types, entry[2]


@pytest.mark.parametrize("name", sorted(CASES))
def test_emitted_trees_read_as_their_source(name):
    program, _, _, _ = _program(name)
    assert set(program.trees) == set(program.functions)
    for fname, tree in program.trees.items():
        parsed = ast.parse(program.functions[fname]).body[0]
        body = parsed.body[1:]       # after the docstring
        assert ast.dump(ast.Module(body=body, type_ignores=[])) == \
            ast.dump(ast.Module(body=tree.body, type_ignores=[]))
        assert any(ir.COMMENTS(s) for s in tree.body)


def _lower(name, tree=None):
    program, grad, types, env = _program(name)
    _, wrt, _ = CASES[name]
    params = list(program.trees[grad].args.args)
    positions = tuple(k for k, p in enumerate(params) if p.arg in wrt)
    return kernel.lower_adjoint(tree or program.trees[grad], grad, [p.arg for p in params],
                                types, positions, env), program.trees[grad]


def test_tapes_are_the_marked_statements():
    element, tree = _lower("while_break")
    marked = {ir.TAPE(n).tape for n in ast.walk(tree)
              if isinstance(n, ast.stmt) and ir.TAPE(n) is not None}
    assert marked and {t.name for t in element.tapes} == marked
    assert "[]" not in element.source and ".pop()" not in element.source
    # the same statements without their facts are not tapes: left as they are
    # (the loop's stacks allocated in the element function)
    for n in ast.walk(tree):
        if isinstance(n, ast.stmt):
            ir.TAPE.set(n, None)
    element, _ = _lower("while_break", tree)
    assert element.tapes == [] and "_saved_t4 = np.empty(" in element.source
    assert element.scalar_grads == [] and element.grad_rows    # dx still a row


def test_array_gradients_are_the_marked_buffers():
    element, tree = _lower("weighted")
    assert set(element.grad_rows.values()) == {"dx", "dw"}
    assert "np.zeros_like" not in element.source
    for n in ast.walk(tree):
        if isinstance(n, ast.stmt):
            ir.ADJOINT_INIT.set(n, None)
    element, _ = _lower("weighted", tree)
    # unmarked, the buffers stay local arrays copied into fresh rows
    assert set(element.grad_rows.values()) == {"dx_row", "dw_row"}
    assert "np.zeros_like" in element.source


def test_element_quotes_the_users_lines():
    element, _ = _lower("gbm_call")
    assert "# gbm_call:" in element.source and "# -- reverse sweep" in element.source
    compile(element.source, "element", "exec")
