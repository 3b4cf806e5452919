"""Adjoint buffers of arrays bound in a loop of the forward sweep are
allocated once, before the loop, where every value has one shape known from
the parameters (passes/hoist_adjoints.py); buffers that change hands (a
rebinding ``x = x_new``) keep their allocation. Gradients against central
finite differences (float64), on the Python and the CPU targets."""
import ast
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad


def ista(A, b, lam, x0, iters):
    """Proximal gradient steps (a while loop, not a counted one): products of A and A.T."""
    x = x0.copy()
    it = 0
    while it < iters and lam >= 0.0:
        x_old = x
        g = A.T @ (A @ x - b)
        z = x - 0.1 * g
        x = np.maximum(z - 0.1 * lam, 0.0) - np.maximum(-z - 0.1 * lam, 0.0)
        it += 1
    r = A @ x - b
    return 0.5 * np.dot(r, r) + np.sum(x_old * x_old)


def growing(x, c):
    """Arrays of another length in each iteration: nothing to allocate once."""
    s = 0.0
    for k in range(1, x.shape[0]):
        y = np.sin(x[:k] * c) + x[k]
        s += np.dot(y, y)
    return s


rng = np.random.default_rng(31)
A = rng.standard_normal((6, 4))
CASES = [
    (ista, (A, rng.standard_normal(6), 0.3, 0.5 * rng.standard_normal(4), 4), (0, 1, 2, 3)),
    (growing, (rng.standard_normal(5), 0.7), (0, 1)),
]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def forward_sweep(f, args, wrt) -> ast.FunctionDef:
    text = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    text = text[text.index("def " + f.__name__ + "_grad("):]
    return ast.parse(text[:text.index("# -- reverse sweep\n    # ")] + "pass").body[0]


def allocations(stmts, in_loop=False):
    """``(name, in a loop, call)`` of the adjoint allocations among ``stmts``."""
    out = []
    for s in stmts:
        if isinstance(s, (ast.For, ast.While, ast.If)):
            out += allocations(s.body + s.orelse, in_loop or not isinstance(s, ast.If))
        elif isinstance(s, ast.Assign) and isinstance(s.value, ast.Call) and \
                ast.unparse(s.value.func) in ("np.zeros_like", "np.zeros"):
            out.append((s.targets[0].id, in_loop, ast.unparse(s.value)))
    return out


def test_the_products_adjoints_are_allocated_before_the_loop():
    found = allocations(forward_sweep(*CASES[0]).body)
    outside = {name: call for name, in_loop, call in found if not in_loop}
    inside = {name for name, in_loop, _ in found if in_loop}
    assert outside.get("dg") == "np.zeros((A.shape[1],), np.float64)", found
    assert "dg" not in inside
    # x is re-bound to the array x_new holds: its buffer changes hands, so it is not
    # made before the loop from the parameters' lengths; nothing else in the loop
    # mentions it, so it is made once after the loop, like the last iteration's x
    # (passes/hoist_adjoints.py sink_adjoint_zeroings)
    assert "dx" not in inside and ("dx", False, "np.zeros_like(x)") in found, found


def per_sample(W1, b1, W2, X, Y):
    """A layer per sample in a loop whose forward and reverse iterations fuse."""
    loss = 0.0
    for i in range(X.shape[0]):
        h = np.tanh(W1 @ X[i] + b1)
        d = W2 @ h - Y[i]
        loss += 0.5 * np.dot(d, d)
    return loss / X.shape[0]


SAMPLES = (rng.standard_normal((5, 3)), rng.standard_normal(5), rng.standard_normal((2, 5)),
           rng.standard_normal((7, 3)), rng.standard_normal((7, 2)))


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_per_sample_gradient(target):
    check_grad(per_sample, SAMPLES, wrt=(0, 1, 2, 3), target=target)


def test_a_fused_loop_zeroes_its_buffers_instead_of_allocating_them():
    text = sd.value_and_grad(per_sample, wrt=(0, 1, 2), target="python").source_for(*SAMPLES)
    fn = ast.parse(text[text.index("def per_sample_grad("):]).body[0]
    loops = [s for s in fn.body if isinstance(s, ast.For)]
    assert loops, text
    inside = [name for name, in_loop, _ in allocations(loops[-1].body, True)]
    assert inside == [], inside
    before = {name for name, _, call in allocations(fn.body) if call.startswith("np.zeros((")}
    assert {"dh"} <= before, before


@pytest.mark.parametrize("code, shared", [
    ("v = d[1:]", True), ("t = d", True), ("a, b = b, d", True), ("g = unbroadcast(d, x)", True),
    ("w = d.T", True), ("y = d * 2.0", False), ("y = d[i]", False), ("n = d.shape[0]", False),
    ("y = np.sum(d * x)", False), ("d[:] = 0.0", False)])
def test_buffers_another_name_may_hold(code, shared):
    from sourcediff.passes.hoist_adjoints import shared_buffers
    assert ("d" in shared_buffers(ast.parse(code).body)) == shared
