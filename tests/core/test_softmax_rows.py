"""A softmax per row in a loop, ``e = np.exp(row - mx)`` then ``e /
np.sum(e)``: the exps are made once, in a row buffer allocated once before the
loop, by the loop that also sums them (passes/lower.py ``_read_after_its_sum``,
``_hoist_buffers``); the reverse sweep reads each exp back from the buffer or
from one tape of them, never computes them again (rerun.COSTLY_COST), and
keeps no second tape of the same values (planner.values_read_back)."""
from __future__ import annotations

import ast
import math

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad


def attention(Q, K, V):
    """Single-head attention with a stable softmax per row; the rows of ``P``
    are read after the loop (``P @ V``), so the loop does not run fused."""
    n, d = Q.shape
    scale = 1.0 / math.sqrt(d)
    S = Q @ K.T * scale
    P = np.empty_like(S)
    for i in range(n):
        row = S[i]
        mx = np.max(row)
        e = np.exp(row - mx)
        P[i] = e / np.sum(e)
    out = P @ V
    return np.sum(out * out)


def cross_entropy(X, w, Y):
    """A softmax per row and its cross-entropy (the loop runs fused)."""
    s = 0.0
    for i in range(X.shape[0]):
        z = X[i] * w
        e = np.exp(z - np.max(z))
        p = e / e.sum()
        s -= np.dot(Y[i], np.log(p))
    return s


def log_partition(X, w):
    """The sum is all the exps are used for: no buffer (one loop as before)."""
    s = 0.0
    for i in range(X.shape[0]):
        e = np.exp(X[i] * w)
        s += math.log(np.sum(e))
    return s


RNG = np.random.default_rng(20261207)
ATT = tuple(RNG.normal(size=(5, 3)) for _ in range(3))
CE = (RNG.normal(size=(4, 6)), RNG.normal(size=6), RNG.uniform(size=(4, 6)))
LP = (RNG.normal(size=(4, 6)), RNG.normal(size=6))
CASES = [(attention, ATT, (0, 1, 2)), (cross_entropy, CE, (0, 1)), (log_partition, LP, (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f,args,wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradients_match_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def _functions(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    tree = ast.parse(text)
    return {fn.name: fn for fn in tree.body if isinstance(fn, ast.FunctionDef)}, text


def _calls(node, name):
    return [n for n in ast.walk(node) if isinstance(n, ast.Call) and ast.unparse(n.func) == name]


def _in_loops(fn):
    return [n for loop in ast.walk(fn) if isinstance(loop, (ast.For, ast.While))
            for n in ast.walk(loop)]


@pytest.mark.parametrize("f,args,wrt", CASES[:2], ids=[c[0].__name__ for c in CASES[:2]])
def test_exps_are_made_once_in_a_buffer_made_once(f, args, wrt):
    fns, text = _functions(f, args, wrt)
    for fn in fns.values():
        assert len(_calls(fn, "np.exp")) == 1, text
        inside = _in_loops(fn)
        made = [n for n in inside if isinstance(n, ast.Call) and
                ast.unparse(n.func) in ("np.empty", "np.empty_like", "np.zeros_like")]
        assert not made, text
        # the loop making them sums them too: no whole-row sum is left
        assert not any(isinstance(n, ast.Call) and ast.unparse(n.func) == "np.sum"
                       for n in inside), text
    primal = fns[f.__name__]
    assert any(isinstance(s, ast.Assign) and ast.unparse(s.targets[0]) == "e" and
               ast.unparse(s.value).startswith("np.empty(") for s in primal.body), text


def test_the_unfused_loop_tapes_the_exps_once():
    fns, text = _functions(*CASES[0])
    grad = fns["attention_grad"]
    plan = ast.get_docstring(grad) or ""
    saved = {n.id for n in ast.walk(grad) if isinstance(n, ast.Name) and
             n.id.startswith("_saved_") and isinstance(n.ctx, ast.Store)}
    assert saved == {"_saved_e_items", "_saved_t6"}, (saved, plan, text)
    assert "read back, not stored: 1 value of line" in text


def test_the_fused_loop_tapes_nothing():
    text = _functions(*CASES[1])[1]
    assert "# -- tape" not in text and "_saved_" not in text, text
    assert "read back, not stored" in text and "fused" in text


def test_a_sum_alone_keeps_one_loop_and_no_buffer():
    fns, text = _functions(*CASES[2])
    for fn in fns.values():
        assert len(_calls(fn, "np.exp")) == 1, text
        assert not any(isinstance(s, ast.Assign) and ast.unparse(s.targets[0]) == "e"
                       and "np.empty" in ast.unparse(s.value) for s in ast.walk(fn)), text


def chain_energy(P, k, steps):
    """A row temporary read whole (``np.linalg.norm(d)``) in a loop nested in
    another: its buffer is made once, before both loops (nothing in either
    changes its length)."""
    total = 0.0
    Q = P.copy()
    for s in range(steps):
        for i in range(Q.shape[0] - 1):
            d = Q[i + 1] - Q[i]
            L = np.linalg.norm(d)
            total += k * (L - 1.0) ** 2
        Q = 0.9 * Q + 0.1 * np.roll(Q, 1, axis=0)
    return total


CHAIN = (RNG.normal(size=(6, 5)), 0.7, 3)


def test_a_buffer_in_nested_loops_is_made_before_both():
    fns, text = _functions(chain_energy, CHAIN, (0, 1))
    for fn in fns.values():
        made = [s for s in fn.body if isinstance(s, ast.Assign) and
                ast.unparse(s.targets[0]) == "d" and ast.unparse(s.value).startswith("np.empty(")]
        assert len(made) == 1, text
        assert not any(isinstance(n, ast.Call) and ast.unparse(n.func).startswith("np.empty")
                       and "d" in {t.id for t in ast.walk(n) if isinstance(t, ast.Name)}
                       for n in _in_loops(fn)), text


def dual_steps(img, lam, iters):
    """A 2-d buffer (``u``, read as slices) of an array made before the loop:
    made once, as that array's like (a new user's TV-denoising loop was refused
    when the buffer was made from its loops' bounds, a tuple the types did not
    follow: "too many indices for a 1-d array")."""
    ny, nx = img.shape
    px = np.zeros((ny, nx))
    for it in range(iters):
        u = img + lam * px
        gx = np.zeros((ny, nx))
        gx[:, :-1] = u[:, 1:]
        px = px - gx
    return np.sum(px * px)


DUAL = (RNG.normal(size=(4, 3)), 0.5, 3)


def test_a_matrix_buffer_of_an_argument_is_made_once_as_its_like():
    fns, text = _functions(dual_steps, DUAL, (0, 1))
    primal = fns["dual_steps"]
    assert any(ast.unparse(s) == "u = np.empty_like(img)" for s in primal.body), text


BUFFERS = [(chain_energy, CHAIN, (0, 1)), (dual_steps, DUAL, (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f,args,wrt", BUFFERS, ids=[c[0].__name__ for c in BUFFERS])
def test_buffers_made_once_match_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)
