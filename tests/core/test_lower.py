"""Array temporaries in loops lowered to element loops (passes/lower.py).

The same math written several ways (a row temporary, a one-liner, helper
variables for the rows, ``@``/``np.dot``/``.sum()``, ufuncs, columns, rows of a
3-d array, reductions sharing temporaries) is checked against central finite
differences in float64 with ``sd.grad`` and ``sd.jvp`` on both targets, and
its generated code is checked to hold no array temporary inside the loop.
A row stored or added into a row of a local array (``Y[i] = d``, the n-body
``F[i] += c * d``) is lowered too, and so are time steps written as whole-array
code (fluxes added into overlapping slices of a ``du`` the step allocates, a
state made each step and moved to ``u``), and an elementwise array given whole
to a function (filled into a buffer by an element loop).  Programs whose rows
escape (passed to a function, used after the loop or in the next iteration) are
not lowered and still differentiate correctly.
"""
import ast
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forward"))
from fdcheck import cached_value_and_grad, check_grad
from jvpcheck import check_hvp, check_jvp


# -- lowered ------------------------------------------------------------------
def rows(X, C, a):                       # k-means, a row temporary
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] - C[a[i]]
        s += np.sum(d * d)
    return s


def one_liner(X, C, a):
    s = 0.0
    for i in range(X.shape[0]):
        s += np.sum((X[i] - C[a[i]]) ** 2)
    return s


def helper_rows(X, C, a):                # the rows in variables, a dot product
    s = 0.0
    for i in range(X.shape[0]):
        xi = X[i]
        ci = C[a[i], :]
        d = xi - ci
        s += d @ d
    return s


def dot_and_method(X, C, a):
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] - C[a[i]]
        s += np.dot(d, d) + 0.5 * d.sum()
    return s


def ufuncs(X, w, scale):                 # a 1-d argument read per element, scalars broadcast
    s = 0.0
    for i in range(X.shape[0]):
        z = (X[i] - 0.25) * scale
        s += np.sum(np.exp(-0.5 * z * z) * w) + np.sum(np.tanh(z))
    return s


def columns(X, w):                       # X[:, j]: a column of the iteration
    s = 0.0
    for j in range(X.shape[1]):
        col = X[:, j] * w[j]
        s += math.sin(np.sum(np.sin(col)))
    return s


def tensor_rows(T, v):                   # T[i, k] of a 3-d array, dotted with an argument
    s = 0.0
    for i in range(T.shape[0]):
        for k in range(T.shape[1]):
            r = T[i, k] * v
            s += np.dot(r, v) * (i + 1)
    return s


def shared(X, m):                        # two reductions of one temporary, an int scalar
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] - m
        n = np.sum(d * d)
        t = np.sum(d * i)
        s += n * t
    return s


def in_branch(X, C, a):                  # the loop body's branch
    s = 0.0
    for i in range(X.shape[0]):
        if a[i] > 0:
            d = X[i] - C[a[i]]
            s += np.sum(d * d)
        else:
            s += 1.0
    return s


def between(X, c):                       # a scalar defined between the members
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] * c
        w = c * c + i
        s += np.sum(d * w)
    return s


def two_pass(X, c):                      # the row's sum is needed before its elements
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] - c
        n = np.sum(d * d)
        e = d / n
        s += np.sum(e * X[i])
    return s


def softmax_rows(X, w, Y):               # cross-entropy of a softmax per row: two loops
    s = 0.0
    for i in range(X.shape[0]):
        e = np.exp(X[i] * w)
        p = e / e.sum()
        s -= np.dot(Y[i], np.log(p))
    return s


def mean_rows(X, m):
    s = 0.0
    for i in range(X.shape[0]):
        s += np.mean((X[i] - m) ** 2) * np.mean(X[i])
    return s


def mlp(X, W, b, v, y):                  # a layer per sample: W @ x stays BLAS
    s = 0.0
    for i in range(X.shape[0]):
        h = np.tanh(W @ X[i] + b)
        s += (np.dot(v, h) - y[i]) ** 2
    return s


def stored(X, C, a):                     # the row is stored into an array
    Y = np.zeros_like(X)
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] - C[a[i]]
        Y[i] = d
        s += np.sum(d * d)
    return s + np.sum(Y * Y)


def pair_forces(X, w):                   # n-body: a row added into a row of a local
    F = np.zeros_like(X)
    for i in range(X.shape[0]):
        for j in range(X.shape[0]):
            d = X[j] - X[i]
            r2 = np.sum(d * d) + 0.5
            F[i] += w[j] / (r2 * math.sqrt(r2)) * d
    return np.sum(F * F)


def pair_forces_minus(X, w):             # the same written with -= and helpers
    F = np.zeros_like(X)
    for i in range(X.shape[0]):
        xi = X[i]
        for j in range(X.shape[0]):
            d = xi - X[j]
            inv = w[j] / (np.dot(d, d) + 0.5) ** 1.5
            F[i] -= inv * d
    return np.sum(F * F)


def fluxes_2d(u0, kappa, lam, nsteps):  # Perona-Malik: fluxes added into overlapping slices
    u = u0.copy()
    for step in range(nsteps):
        gx = u[:, 1:] - u[:, :-1]
        gy = u[1:, :] - u[:-1, :]
        fx = np.exp(-(gx / kappa) ** 2) * gx
        fy = gy / (1.0 + (gy / kappa) ** 2)
        du = np.zeros_like(u)
        du[:, :-1] += fx
        du[:, 1:] -= fx
        du[:-1, :] += fy
        du[1:, :] -= fy
        u = u + lam * du
    return np.sum(u * u * u0)


def fluxes_1d(u0, c, nsteps):            # the same in 1-d, the update a fresh array
    n = u0.shape[0]
    u = u0.copy()
    for step in range(nsteps):
        f = c * np.tanh(u[1:] - u[:-1])
        du = np.zeros(n)
        du[:-1] += f
        du[1:] -= f
        u = u + du
    return np.sum(np.sin(u))


def fluxes_moved(u0, c, nsteps):         # the new state moved to u: u = unew
    u = u0.copy()
    for step in range(nsteps):
        f = c * np.tanh(u[1:] - u[:-1])
        du = np.zeros_like(u)
        du[:-1] += f
        du[1:] -= f
        unew = u + c * du
        u = unew
    return np.sum(np.sin(u) * u0)


def fresh_per_step(u0, v0, a, nsteps):    # a new array per step, moved to u; v carried
    n = u0.shape[0]
    u = u0.copy()
    v = v0.copy()
    for step in range(nsteps):
        un = np.empty(n)
        un[1:-1] = u[1:-1] + 0.1 * (u[2:] - 2.0 * u[1:-1] + u[:-2]) + a * u[1:-1] * v[1:-1]
        un[0] = un[1]
        un[-1] = un[-2]
        vn = v + 0.05 * (u - v)
        u = un
        v = vn
    return np.sum(u * u) + np.sum(v)


def verlet_fresh(p0, damp, k, nsteps):   # a new state per step from a chain of temporaries
    n = p0.shape[0]
    p = p0.copy()
    q = p0.copy()
    f = np.zeros((n, n))
    for step in range(nsteps):
        for i in range(n):
            for j in range(n - 1):
                s = k * (p[i, j + 1] - p[i, j]) ** 3
                f[i, j] += s
                f[i, j + 1] -= s
        pn = (2.0 - damp) * p - (1.0 - damp) * q + 0.01 * f
        pn[0, :] = p0[0, :]
        q, p = p, pn
    return np.sum(p * p)


def noise_rows(theta, X0, noise, dt):   # a row of a 3-d argument added to a state each step
    a, c = theta[0], theta[1]
    x = X0[:, 0].copy()
    y = X0[:, 1].copy()
    occ = 0.0
    for t in range(noise.shape[0]):
        fx = -(4.0 * a * x * (x * x - 1.0) + c)
        x = x + fx * dt + noise[t, :, 0]
        y = y - c * y * dt + noise[t, :, 1]
        occ += np.sum(np.tanh(x / 0.3))
        occ += np.sum(y * y)
    return occ


def full_states(s0, v0, Z, dt):        # states made by np.full, a product sharing a column
    S = np.full(Z.shape[0], s0)
    v = np.full(Z.shape[0], v0)
    for k in range(Z.shape[1]):
        vp = np.maximum(v, 0.0)
        S = S * np.exp(-0.5 * vp * dt + np.sqrt(vp) * Z[:, k] * math.sqrt(dt))
        v = v + 2.0 * (0.04 - vp) * dt + 0.3 * np.sqrt(vp) * Z[:, k] * math.sqrt(dt)
    return np.mean(S) + np.sum(v * v)


def stops_by_length(v0, D, dt, nsteps):  # slices stopping at n - 2, n - 1, n: the stencil's rows
    n = v0.shape[0]
    v = v0.copy()
    dv = np.zeros(n)
    loss = 0.0
    for t in range(nsteps):
        dv[1:n - 1] = D * (v[0:n - 2] - 2.0 * v[1:n - 1] + v[2:n])
        v[:] = v + dt * (dv - v * v * v)
        loss += v[n // 2] ** 2
    return loss


def stop_three_short(v0, nsteps):          # x[0:n - 3] is not x[:-3] for n of 2
    n = v0.shape[0]
    v = v0.copy()
    s = 0.0
    for t in range(nsteps):
        s += np.sum(v[0:n - 3] * v[0:n - 3])
        v = 0.5 * v
    return s


# -- not lowered ----------------------------------------------------------------
@sd.function                             # never inlined: called through its own adjoint
def norm2(v):
    return np.sum(v * v)


def given_whole(noise, amp, log_tau, levels):   # an array computed per row, given whole
    nsig, nt = noise.shape
    t = np.arange(nt) * 0.05
    loss = 0.0
    for i in range(nsig):
        tau = math.exp(log_tau[i])
        y = amp * (1.0 - np.exp(-t / tau)) + noise[i]
        loss += norm2(y) * levels[i]
    return loss


def given_whole_and_kept(noise, amp, log_tau):   # the buffer read again next iteration
    nsig, nt = noise.shape
    t = np.arange(nt) * 0.05
    prev = np.zeros(nt)
    loss = 0.0
    for i in range(nsig):
        tau = math.exp(log_tau[i])
        y = amp * (1.0 - np.exp(-t / tau)) + noise[i]
        loss += norm2(y) + 3.0 * prev[1]
        prev = y
    return loss


def passed(X, C, a):                     # the row is passed to a user function
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] - C[a[i]]
        s += norm2(d)
    return s


def plain_norm2(v):
    return np.sum(v * v)


def passed_to_a_small_helper(X, C, a):   # inlined first (passes/inline.py), then lowered
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] - C[a[i]]
        s += plain_norm2(d)
    return s


def after_loop(X, C, a):                 # the last row is used after the loop
    s = 0.0
    d = X[0] * 0.0
    for i in range(X.shape[0]):
        d = X[i] - C[a[i]]
        s += np.sum(d * d)
    return s + np.sum(d)


def carried(X, h0):                      # h feeds the next iteration
    h = h0
    s = 0.0
    for i in range(X.shape[0]):
        h = np.tanh(X[i] + 0.5 * h)
        s += np.sum(h)
    return s


def partly_rows(X, w):                   # t is shared with a reduction of no row: kept
    s = 0.0
    for i in range(X.shape[0]):
        t = w * 2.0
        s += np.sum(t * X[i] / np.sum(t))
    return s


def stored_then_updated(u0, c, nsteps):  # a store and an update of overlapping slices
    u = u0.copy()
    for step in range(nsteps):
        f = c * np.tanh(u[1:] - u[:-1])
        du = np.zeros_like(u)
        du[:-1] = f
        du[1:] -= f
        u = u + du
    return np.sum(u * u)


def growing(u0, c, nsteps):              # u grows each step: du's length is not known
    u = u0.copy()
    for step in range(nsteps):
        f = c * np.tanh(u[1:] - u[:-1])
        du = np.zeros_like(u)
        du[:-1] += f
        du[1:] -= f
        u = np.concatenate((u + du, u[-1:]))
    return np.sum(u * u)


def vectorized(X, C, a):                 # top-level array code stays a library call
    d = X - C[a]
    return np.sum(d * d)


RNG = np.random.default_rng(3)
X = RNG.normal(size=(6, 3))
C = RNG.normal(size=(3, 3))
A = RNG.integers(0, 3, 6)
T3 = RNG.normal(size=(3, 2, 4))
LOWERED = [
    (rows, (X, C, A), (0, 1)),
    (one_liner, (X, C, A), (0, 1)),
    (helper_rows, (X, C, A), (0, 1)),
    (dot_and_method, (X, C, A), (0, 1)),
    (ufuncs, (X, RNG.normal(size=3), 0.7), (0, 1, 2)),
    (columns, (X, RNG.normal(size=3)), (0, 1)),
    (tensor_rows, (T3, RNG.normal(size=4)), (0, 1)),
    (shared, (X, 0.3), (0, 1)),
    (in_branch, (X, C, A), (0, 1)),
    (between, (X, 0.8), (0, 1)),
    (two_pass, (X, 0.3), (0, 1)),
    (softmax_rows, (X, RNG.normal(size=3), np.abs(RNG.normal(size=(6, 3)))), (0, 1)),
    (mean_rows, (X, 0.3), (0, 1)),
    (mlp, (X, RNG.normal(size=(4, 3)), RNG.normal(size=4), RNG.normal(size=4),
           RNG.normal(size=6)), (1, 2, 3)),
    (stored, (X, C, A), (0, 1)),
    (pair_forces, (X, RNG.uniform(0.5, 1.5, 6)), (0, 1)),
    (pair_forces_minus, (X, RNG.uniform(0.5, 1.5, 6)), (0, 1)),
]
KEPT = [
    (passed, (X, C, A), (0, 1)),
    (after_loop, (X, C, A), (0, 1)),
    (carried, (X, RNG.normal(size=3)), (0, 1)),
    (partly_rows, (X, RNG.normal(size=3)), (0, 1)),
    (vectorized, (X, C, A), (0, 1)),
    (stored_then_updated, (RNG.normal(size=7), 0.3, 3), (0, 1)),
    (growing, (RNG.normal(size=7), 0.3, 3), (0, 1)),
]
NOISE = RNG.normal(size=(4, 6))
BUFFERED = (given_whole, (NOISE, 0.8, RNG.normal(size=4), RNG.normal(size=4)), (0, 1, 2, 3))
KEPT_BUFFER = (given_whole_and_kept, (NOISE, 0.8, RNG.normal(size=4)), (0, 1, 2))
# time loops whose whole-array statements are element loops (the loop allocates
# the user's own ``du`` and the tape holds the state per step, so these are not
# in LOWERED's test of no allocation at all)
U2 = RNG.normal(size=(5, 6))
STEPPED = [
    (fluxes_2d, (U2, 0.7, 0.2, 3), (0, 1, 2)),
    (fluxes_1d, (RNG.normal(size=7), 0.3, 3), (0, 1)),
    (fluxes_moved, (RNG.normal(size=7), 0.3, 3), (0, 1)),
    (fresh_per_step, (RNG.normal(size=7), RNG.normal(size=7), 0.3, 3), (0, 1, 2)),
    (verlet_fresh, (RNG.normal(size=(4, 4)), 0.1, 0.5, 3), (0, 1, 2)),
    (noise_rows, (RNG.normal(size=2), RNG.normal(size=(5, 2)), 0.1 * RNG.normal(size=(3, 5, 2)),
                  0.05), (0, 1, 2)),
    (full_states, (1.0, 0.04, RNG.normal(size=(5, 3)), 0.01), (0, 1, 2)),
    (stops_by_length, (np.sin(np.linspace(0.0, 3.0, 8)), 0.4, 0.05, 3), (0, 1)),
]
ALL = LOWERED + KEPT + STEPPED + [BUFFERED, KEPT_BUFFER,
                                  (stop_three_short, (np.array([0.3, -1.2]), 2), 0)]
IDS = [c[0].__name__ for c in ALL]


# Every case runs on the python target.  The k-means distance written other ways
# (one_liner, helper_rows, dot_and_method) lowers to the element loop of ``rows``: the
# generated primal, adjoint and tangent are the same statements under other names
# (``(d) ** 2`` for ``d * d``, a ``.sum()`` term), so they compile for cpu as ``rows``
# does (test_gradient[rows-cpu], test_jvp[rows-cpu]); the other cases compile for cpu too.
SAME_LOOP_AS_ROWS = {"one_liner", "helper_rows", "dot_and_method"}
TARGET_CASES = [(*c, t) for c in ALL for t in ("python", "cpu")
                if t == "python" or c[0].__name__ not in SAME_LOOP_AS_ROWS]
TARGET_IDS = [f"{c[0].__name__}-{c[3]}" for c in TARGET_CASES]


@pytest.mark.parametrize("f,args,wrt,target", TARGET_CASES, ids=TARGET_IDS)
def test_gradient(f, args, wrt, target):
    check_grad(f, args, wrt, target)


@pytest.mark.parametrize("f,args,wrt,target", TARGET_CASES, ids=TARGET_IDS)
def test_jvp(f, args, wrt, target):
    check_jvp(f, args, wrt, target)


def _inside_loops(text, function):
    """The code inside the ``for`` loops of ``function`` (the user's lines
    quoted in comments left out)."""
    tree = ast.parse(text)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    return "\n".join(ast.unparse(n) for n in ast.walk(fn) if isinstance(n, ast.For))


FUSED = "forward and reverse iterations fused"
# a matrix-vector product stays BLAS, with its adjoint buffer
MATVEC = {"mlp": ("@", "zeros_like")}


@pytest.mark.parametrize("f,args,wrt", LOWERED, ids=[c[0].__name__ for c in LOWERED])
def test_lowered_loops_allocate_nothing(f, args, wrt):
    """Neither the primal nor the adjoint allocates or tapes inside the loop,
    and the loop's forward and reverse iterations fuse (but for a branch)."""
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    name = f.__name__
    for function in (name, f"{name}_grad"):
        inside = _inside_loops(text, function)
        for alloc in ("zeros_like", "np.zeros(", "np.empty", ".append(", ".pop()",
                      "unbroadcast", "np.sum(", "np.dot(", "@"):
            if alloc in MATVEC.get(name, ()) or alloc in (".append(", ".pop()") and \
                    name == "in_branch":
                continue
            assert alloc not in inside, f"{function}: {alloc} inside the loop\n{text}"
    # not fused: a branch; an array the loop stores into and the result reads after it
    assert (FUSED in text) == (name not in ("in_branch", "stored", "pair_forces",
                                            "pair_forces_minus"))
    if name == "in_branch":      # not fused; the centre's index is read again where
        # the branch's reverse starts (rerun._branch_values): no tape at all
        assert not re.findall(r"_saved_\w+", text), text


@pytest.mark.parametrize("f,args,wrt", KEPT[:2], ids=[c[0].__name__ for c in KEPT[:2]])
def test_escaping_rows_are_kept(f, args, wrt):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    body = text.split(f"def {f.__name__}(", 1)[1].split("\ndef ", 1)[0]
    if f is passed:
        # given whole to a function of the user's: a buffer of the row's shape,
        # filled by an element loop, then passed
        assert "d = np.empty_like(_d_shape)" in body and "d[j] = " in body and \
            "norm2(d)" in body, body
    else:
        assert "d = _t" in body and "[i, j]" not in body


@pytest.mark.parametrize("f,args,wrt", STEPPED, ids=[c[0].__name__ for c in STEPPED])
def test_overlapping_updates_are_element_loops(f, args, wrt):
    """``du[:, :-1] += fx`` and ``du[:, 1:] -= fx`` into a ``du`` the time step
    allocates go element by element in the loop computing ``fx`` (each element
    of ``du`` gets the same terms), and the reverse puts back no element of
    ``du``: the step before's ``du`` is restored whole before anything reads it.
    A state made each step (``un = np.empty(n)``, then ``u = un``) is stored
    into element by element too: nothing else holds the new array yet."""
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    for function in (f.__name__, f"{f.__name__}_grad"):
        inside = _inside_loops(text, function)
        for array_code in ("add_into", "sub_into", "u[1:", "u[:, 1:", "u[:-1"):
            assert array_code not in inside, f"{function}: {array_code} in the loop\n{text}"
    assert "_saved_du_items" not in text, text


def test_an_array_given_whole_is_filled_by_an_element_loop():
    """``y = amp * (1 - np.exp(-t / tau)) + noise[i]`` given to a function: one
    buffer per iteration filled by an element loop (the array code allocated
    one per operation, and its adjoint one per operation too); the loop stays
    fused, and nothing is stored for the buffer's elements."""
    f, args, wrt = BUFFERED
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    primal = text.split("def given_whole(", 1)[1].split("\ndef ", 1)[0]
    assert "y = np.empty_like(t)" in primal and "y[j] = " in primal, primal
    inside = _inside_loops(text, "given_whole_grad")
    for array_code in ("unbroadcast", "np.sum(", "zeros_like(_t", "add_into"):
        assert array_code not in inside, f"{array_code} in the loop\n{text}"
    assert FUSED in text and "_saved_y_items" not in text, text


def test_a_store_and_an_update_of_overlapping_slices_stay_array_code():
    """``du[:-1] = f`` then ``du[1:] -= f``: element by element, the update of
    element ``j + 1`` would come before the store of it.  And a ``u`` that grows
    each step: ``du = np.zeros_like(u)`` is of no length known to the loop."""
    text = sd.grad(stored_then_updated, wrt=0, target="python").source_for(
        RNG.normal(size=7), 0.3, 3)
    body = text.split("def stored_then_updated(", 1)[1].split("\ndef ", 1)[0]
    assert "sub_into(du[1:], f)" in body, body
    text = sd.grad(growing, wrt=0, target="python").source_for(RNG.normal(size=7), 0.3, 3)
    body = text.split("def growing(", 1)[1].split("\ndef ", 1)[0]
    assert "sub_into(du[1:], f)" in body, body


def test_rows_passed_to_an_inlined_helper_are_lowered():
    text = sd.grad(passed_to_a_small_helper, wrt=(0, 1), target="python").source_for(X, C, A)
    body = text.split("def passed_to_a_small_helper(", 1)[1].split("\ndef ", 1)[0]
    assert "[i, j]" in body and "plain_norm2(" not in body.split("#")[0]
    check_grad(passed_to_a_small_helper, (X, C, A), (0, 1), "python")


def test_kmeans_rows_is_the_scalar_loop():
    """The k-means adjoint reads the rows element by element, no array temporaries."""
    text = sd.grad(rows, wrt=1, target="python").source_for(X, C, A)
    grad = text.split("def rows_grad(", 1)[1]
    assert "for j in range(X.shape[1]" in grad
    assert "a_i = a[i]" in grad and "dC[a_i, j] += " in grad
    assert "zeros_like(d)" not in grad and "dd = dt4_sum * 2.0 * d" in grad   # a number


def test_top_level_stays_vectorized():
    text = sd.grad(vectorized, wrt=1, target="python").source_for(X, C, A)
    assert "for " not in text.split("def vectorized(", 1)[1].split("\ndef ", 1)[0]


@pytest.mark.parametrize("name", ["rows", "ufuncs", "softmax_rows"])
def test_hessian_vector_product(name):
    """The lowered adjoint (element loops, fused) differentiated again."""
    f, args, wrt = next(c for c in LOWERED if c[0].__name__ == name)
    check_hvp(f, args, wrt, "python")


def broadcast_one(y, s, n):
    """``np.max(t, keepdims=True)`` is of length 1 and broadcasts against ``y``:
    the loop must not take its length from it (it did: value and gradient wrong)."""
    total = 0.0
    for k in range(n):
        t = np.sin(y) * s
        top = np.max(t, keepdims=True)
        total += np.sum(top - y)
    return total


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_length_one_vector_is_not_a_loop_length(target):
    y = np.array([0.3, -0.5, 0.8, 0.1])
    # (the transform check_grad uses: one compile on cpu, not one per wrt)
    value, _ = cached_value_and_grad(broadcast_one, (0, 1), target)(y, 0.5, 2)
    assert np.isclose(value, broadcast_one(y, 0.5, 2), rtol=1e-12)
    check_grad(broadcast_one, (y, 0.5, 2), wrt=(0, 1), target=target)


def test_rows_of_a_3d_argument_are_known_as_long_as_the_state():
    """``x = x + fx * dt + noise[t, :, 0]``: the row's length is the state's in the
    call (axes of one length among the arguments, 3-d ones included), so the
    updates are element loops and the adjoint keeps no list of the states and
    forces (a new user's Langevin dynamics: 54.8 -> 30.4 ms; the ``tanh`` of
    the whole state after the update stays a library call, and its value a list)."""
    f, args, wrt = next(c for c in STEPPED if c[0] is noise_rows)
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    for name in ("x", "y", "fx"):
        assert f"_saved_{name}.append(" not in text, text
    assert re.search(r"noise\[t, _?j\d*, 0\]", text), text


def test_a_state_made_from_a_chain_of_temporaries_is_one_element_loop():
    """``pn = (2 - damp) * p - (1 - damp) * q + h * f``, bound afresh each step and
    rotated into ``p``: one new array per step, filled by an element loop (the
    array code made one per operation, and the adjoint stored each of them in a
    list).  Its allocation comes before the chain, so the store is element by
    element whatever else the step reads."""
    f, args, wrt = next(c for c in STEPPED if c[0] is verlet_fresh)
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    inside = _inside_loops(text, "verlet_fresh_grad")
    assert ".append(_t" not in inside and "_saved_t" not in inside, text
    assert re.search(r"pn\[_j\d*, _k\d*\] = ", inside), text


def test_states_made_by_np_full_are_updated_in_place():
    """A new user's full-truncation Heston scheme, paths as arrays: ``S = np.full(n,
    s0)`` has the length of its shape argument, as ``np.zeros(n) + s0`` does, and the
    product ``S = S * np.exp(...)`` (normalized into a temporary, then moved to ``S``:
    its adjoint reads the old ``S``) stores into ``S`` in the same element loop as
    ``v``'s update, which shares the column ``Z[:, k]`` with it (4.19x the primal,
    every state and temporary on a stack of arrays -> 1.29x).  The adjoint keeps
    numbers, one slot per iteration, and no array per step."""
    f, args, wrt = next(c for c in STEPPED if c[0] is full_states)
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    primal = _inside_loops(text, "full_states")
    assert "empty_like" not in primal and re.search(r"S\[_?j\d*\] = ", primal), text
    assert "store_row(" not in text and ".append(" not in text, text


def test_slices_stopping_at_the_length_less_one_or_two_are_rows():
    """``v[0:n - 2]``, ``v[1:n - 1]``, ``v[2:n]`` with ``n = v0.shape[0]`` (a new
    user's FitzHugh-Nagumo cable) are the rows ``v[:-2]``, ``v[1:-1]``, ``v[2:]``:
    the stencil is an element loop, where its six temporaries went on lists
    (8.8x the primal -> 0.69x).  ``v[0:n - 3]`` keeps its array code: of two
    elements it is ``v[0:1]`` (its gradient and value are checked at that length
    by test_gradient[stop_three_short-*])."""
    f, args, wrt = next(c for c in STEPPED if c[0] is stops_by_length)
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    for function in ("stops_by_length", "stops_by_length_grad"):
        inside = _inside_loops(text, function)
        assert "copy_into" not in inside and "n - 2" not in inside, text
    assert ".append(" not in text and re.search(r"v\[_?j\d* \+ 2\]", text), text
    text = sd.grad(stop_three_short, target="python").source_for(np.ones(5), 2)
    assert "n - 3]" in text, text

