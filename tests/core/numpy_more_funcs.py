"""Functions of the NumPy functions added by ``rules/ufuncs_more.py`` and
``rules/arrayfuncs.py``, shared by ``tests/core/test_numpy_more.py`` (reverse
mode) and ``tests/forward/test_numpy_more_jvp.py`` (forward mode, HVPs).

``CASES`` holds one small function per NumPy function (and variant), each
checked on the ``python`` target; ``GROUPS`` holds a few functions that use
many of them at once, compiled for the ``cpu`` target (one Numba compile per
group rather than per function).  Arguments stay away from the kinks and
jumps of ``fmax``/``mod`` and from the edges of each domain; each result is
passed through a nonlinear map so that every element's adjoint differs.
"""
import math
from typing import NamedTuple

import numpy as np


class Case(NamedTuple):
    id: str
    f: object
    args: tuple
    wrt: object
    jax: bool = True          # the function also runs with np bound to jax.numpy


CASES: list = []


def case(f, *args, wrt=0, id=None, jax=True):
    CASES.append(Case(id or f.__name__, f, args, wrt, jax))


def arr(*values):
    return np.array(values, dtype=np.float64)


W = arr(0.7, -1.3, 0.4, 1.1, 0.9)
X = arr(0.31, -0.72, 1.13, 0.54, -0.27)      # generic
U = arr(0.31, -0.72, 0.53, 0.14, -0.27)      # in (-1, 1)
G = arr(1.31, 1.72, 2.13, 1.54, 3.2)         # > 1
Y = arr(1.1, 0.4, 2.0, 0.9, 0.7)             # positive, no tie with X
XM = arr(0.93, -2.16, 3.39, 1.62, -0.81)     # XM / Y is at least 0.1 from an integer
NEAR0 = arr(0.0, 0.01, -0.02, 0.31, -1.7)    # both branches of the sinc rule
Z = arr(0.5, 0.0, 2.0, 0.0, 1.5)             # zeros: cumprod's adjoint must stay exact
M = np.array([[0.61, -0.35, 1.24, 0.83], [-0.92, 0.47, 0.18, -1.06], [0.29, 1.51, -0.64, 0.75]])
MP = np.abs(M) + 0.2                          # positive
S = np.array([[0.9, -0.4, 0.3], [0.2, 1.1, -0.7], [-0.5, 0.6, 1.3]])
V3 = arr(0.4, -1.2, 0.7)
B3 = arr(-0.3, 0.8, 1.5)
R3 = np.array([[0.4, -1.2, 0.7], [1.1, 0.2, -0.6]])
Q3 = np.array([[-0.3, 0.8, 1.5], [0.5, -0.9, 0.4]])
K = np.array([[0.5, -1.0], [1.5, 0.3], [0.2, 0.8]])


# -- elementwise ------------------------------------------------------------------
def exp2(x):
    return np.sum(W * np.exp2(x))


def arcsinh(x):
    return np.sum(W * np.arcsinh(3.0 * x))


def arccosh(x):
    return np.sum(W * np.arccosh(x))


def arctanh(x):
    return np.sum(W * np.arctanh(x))


def deg2rad(x):
    return np.sum(np.sin(np.deg2rad(40.0 * x)))


def radians(x):
    return np.sum(np.sin(np.radians(40.0 * x)))


def rad2deg(x):
    return np.sum(W * np.rad2deg(x) ** 2)


def degrees(x):
    return np.sum(W * np.degrees(x) ** 2)


def sinc(x):
    return np.sum(W * np.sinc(x))


def reciprocal(x):
    return np.sum(W * np.reciprocal(x))


def cbrt(x):
    return np.sum(W * np.cbrt(x))


def real_imag(x):
    return np.sum(W * np.real(x) ** 2) + np.sum(np.imag(x))


def fmax(x, y):
    return np.sum(W * np.fmax(x, y) ** 2)


def fmin(x, y):
    return np.sum(W * np.fmin(x, y) ** 2)


def fmax_scalar(x, s):
    return np.sum(W * np.fmin(np.fmax(x, s), 2.0 * s) ** 2)


def logaddexp(x, y):
    return np.sum(W * np.logaddexp(x, y))


def logaddexp2(x, y):
    return np.sum(W * np.logaddexp2(x, y))


def mod(x, y):
    return np.sum(W * np.mod(x, y) ** 2)


def remainder(x, y):
    return np.sum(W * np.remainder(x, y) ** 2)


def fmod(x, y):
    return np.sum(W * np.fmod(x, y) ** 2)


def mod_broadcast(m, v):
    return np.sum(np.mod(m, v) ** 2) + np.sum(np.fmod(m, 0.7) ** 2)


def true_divide(x, y):
    return np.sum(W * np.true_divide(x, y))


def float_power(x, y):
    return np.sum(W * np.float_power(x, y))


def logaddexp_broadcast(m, v, s):
    return np.sum(np.logaddexp(m, v) * np.logaddexp2(m, s))


for _f, _args, _wrt in [
        (exp2, (X,), 0), (arcsinh, (X,), 0), (arccosh, (G,), 0), (arctanh, (U,), 0),
        (deg2rad, (X,), 0), (radians, (X,), 0), (rad2deg, (X,), 0), (degrees, (X,), 0),
        (sinc, (X,), 0), (sinc, (NEAR0,), 0), (reciprocal, (X,), 0), (cbrt, (X,), 0),
        (real_imag, (X,), 0), (fmax, (X, Y), (0, 1)), (fmin, (X, Y), (0, 1)),
        (fmax_scalar, (X, 0.2), (0, 1)), (logaddexp, (X, Y), (0, 1)),
        (logaddexp2, (X, Y), (0, 1)), (mod, (XM, Y), (0, 1)), (mod, (-XM, Y), (0, 1)),
        (remainder, (XM, Y), (0, 1)), (fmod, (XM, Y), (0, 1)), (fmod, (-XM, Y), (0, 1)),
        (mod_broadcast, (M, arr(0.7, 1.3, 0.45, 0.9)), (0, 1)),
        (true_divide, (X, Y), (0, 1)), (float_power, (Y, X), (0, 1)),
        (logaddexp_broadcast, (M, arr(0.3, -0.2, 0.5, 1.0), 0.4), (0, 1, 2))]:
    case(_f, *_args, wrt=_wrt, id=f"{_f.__name__}-{len([c for c in CASES if c.f is _f])}")


# -- math counterparts (scalars) ----------------------------------------------------
def math_inverse_hyperbolic(x, y):
    return math.asinh(3.0 * x) * math.acosh(y + 1.0) + math.atanh(x) ** 2


def math_angles(x, y):
    return math.sin(math.radians(40.0 * x)) * math.degrees(y)


def math_remainders(x, y):
    return math.fmod(x, y) ** 2 + math.remainder(x, y) ** 2 + math.fmod(-x, y) * x


case(math_inverse_hyperbolic, 0.31, 1.7, wrt=(0, 1), jax=False)
case(math_inverse_hyperbolic, -0.62, 0.4, wrt=(0, 1), id="math_inverse_hyperbolic-1", jax=False)
case(math_angles, 0.31, 1.7, wrt=(0, 1), jax=False)
case(math_remainders, 2.3, 0.7, wrt=(0, 1), jax=False)
case(math_remainders, 2.6, 0.7, wrt=(0, 1), id="math_remainders-1", jax=False)  # x / y rounds up
if hasattr(math, "cbrt"):        # Python 3.11
    def math_exp2_cbrt(x, y):
        return math.exp2(x) * math.cbrt(y) + math.cbrt(-y * x)

    case(math_exp2_cbrt, 0.31, 1.7, wrt=(0, 1), jax=False)


# -- cumulative sums and products, differences ------------------------------------------
def cumsum(x):
    return np.sum(W * np.cumsum(x) ** 2)


def cumsum_axis(m):
    return np.sum(np.cumsum(m, axis=0) ** 3) + np.sum(np.sin(np.cumsum(m, 1)))


def cumsum_flat(m):
    return np.sum(np.cumsum(m) ** 2) + np.sum(m.cumsum(-1) ** 3)


def cumprod(x):
    return np.sum(W * np.cumprod(x))


def cumprod_axis(m):
    return np.sum(np.cumprod(m, axis=0) ** 2) + np.sum(np.sin(np.cumprod(m, -1)))


def cumprod_flat(m):
    return np.sum(np.cumprod(m) * np.arange(12.0)) + np.sum(m.cumprod(1) ** 2)


def diff(x):
    return np.sum(W[:4] * np.diff(x) ** 2) + np.sum(np.diff(x, 2) ** 3) + np.sum(np.diff(x, n=3))


def diff_matrix(m):
    return np.sum(np.diff(m) ** 3) + np.sum(np.diff(m, 2) ** 2)


for _f, _a in [(cumsum, X), (cumsum_axis, M), (cumsum_flat, M), (cumprod, X), (cumprod, Z),
               (cumprod_axis, MP), (cumprod_flat, M), (diff, X), (diff_matrix, M)]:
    case(_f, _a, id=f"{_f.__name__}-{len([c for c in CASES if c.f is _f])}")


# -- flips, rolls, reshaping ----------------------------------------------------------
def flips(x, m):
    return (np.sum(W * np.flip(x) ** 3) + np.sum(np.flip(m) * M) + np.sum(np.flip(m, 0) ** 3)
            + np.sum(np.flip(m, axis=-1) * M ** 2) + np.sum(np.fliplr(m) ** 3 * M)
            + np.sum(np.flipud(m) ** 3) + np.sum(W * np.flipud(x) ** 2))


def rolls(x, m):
    return np.sum(W * np.roll(x, 2) ** 2) + np.sum(W * np.roll(x, -1) ** 3) + \
        np.sum(np.roll(m, 5) * M)


def reshapes(x, m):
    a = np.reshape(m, (4, 3))
    b = np.reshape(m, -1)
    c = np.ravel(m)
    d = np.squeeze(np.reshape(x, (5, 1)), axis=1)
    e = np.reshape(x, (1, 5)).squeeze(0)
    return (np.sum(a ** 3 * np.arange(3.0)) + np.sum(b * np.arange(12.0)) + np.sum(c ** 3)
            + np.sum(W * d ** 3) + np.sum(e ** 2) + np.sum(np.atleast_1d(x) ** 3))


def atleast_1d_scalar(s, x):
    return np.sum(np.atleast_1d(s * 2.0) ** 3) + np.sum(np.atleast_1d(x) * W)


case(flips, X, M, wrt=(0, 1))
case(rolls, X, M, wrt=(0, 1))
case(reshapes, X, M, wrt=(0, 1))
case(atleast_1d_scalar, 0.7, X, wrt=(0, 1))


# -- diagonals, triangles -------------------------------------------------------------------
def traces(s, m):
    return np.trace(s) ** 2 + np.trace(m, 1) * np.trace(s, offset=-1) + m.trace() ** 3


def diags(x, m):
    return (np.sum(np.diag(x) * np.arange(25.0).reshape(5, 5)) + np.sum(np.diag(x, 1) ** 3)
            + np.sum(np.diag(m) ** 3) + np.sum(np.diag(m, -1) ** 2) + np.sum(np.diag(m, k=2)))


def diagonals(m):
    return np.sum(np.diagonal(m) ** 3) + np.sum(np.diagonal(m, 1) ** 2) + np.sum(m.diagonal(-1))


def triangles(s, m):
    return (np.sum(np.triu(s) ** 2 * S) + np.sum(np.tril(m, -1) ** 3) + np.sum(np.triu(m, 1) ** 3)
            + np.sum(np.tril(s, k=1) * S))


case(traces, S, M, wrt=(0, 1))
case(diags, X, M, wrt=(0, 1))
case(diagonals, M)
case(triangles, S, M, wrt=(0, 1))


# -- repeats, tiles, products -----------------------------------------------------------------
def repeats(x):
    return np.sum(np.repeat(x, 3) ** 3 * np.arange(15.0)) + np.sum(x.repeat(2) ** 2)


def tiles(x):
    return np.sum(np.tile(x, 3) ** 3 * np.arange(15.0))


def inner(a, b):
    return np.inner(a, b) ** 2 + np.inner(a, a * b)


def cross(a, b):
    return np.sum(np.cross(a, b) ** 3) + np.sum(np.cross(b, a * a) * B3)


def cross_rows(a, b):
    return np.sum(np.cross(a, b) ** 3)


def kron(a, b):
    return np.sum(np.kron(a, b) ** 3 * np.arange(9.0))


def kron_matrix(a, b):
    return np.sum(np.kron(a, b) ** 3) + np.sum(np.kron(b, a) * np.arange(54.0).reshape(9, 6))


def loop_of_views(x, m):
    """Adjoints of views (np.flip(dz), np.diagonal(dz)) reused across iterations."""
    s = 0.0
    for i in range(3):
        y = np.flip(x * (i + 1.0))
        d = np.diagonal(m * (i + 0.5), 1)
        s += np.sum(W * y * y) + np.sum(d ** 3) + np.sum(np.fliplr(m) * y[i])
    return s


case(loop_of_views, X, M, wrt=(0, 1))
case(repeats, X)
case(tiles, X)
case(inner, V3, B3, wrt=(0, 1))
case(cross, V3, B3, wrt=(0, 1))
case(cross_rows, R3, Q3, wrt=(0, 1))
case(kron, V3, B3, wrt=(0, 1))
case(kron_matrix, S, K, wrt=(0, 1))


# -- groups compiled for the cpu target ---------------------------------------------------------
def group_unary(x, u, g):
    return (np.sum(W * np.exp2(x)) + np.sum(W * np.arcsinh(3.0 * x)) + np.sum(W * np.arccosh(g))
            + np.sum(W * np.arctanh(u)) + np.sum(np.sin(np.deg2rad(40.0 * x)))
            + np.sum(np.cos(np.radians(30.0 * u))) + np.sum(W * np.rad2deg(x) * np.degrees(u))
            + np.sum(W * np.sinc(x)) + np.sum(np.sinc(0.01 * g)) + np.sum(W * np.reciprocal(g))
            + np.sum(W * np.cbrt(x)) + np.sum(W * np.real(u) ** 2) + np.sum(np.imag(x)))


def group_binary(x, y, s):
    return (np.sum(W * np.fmax(x, y) ** 2) + np.sum(W * np.fmin(x, y) ** 2)
            + np.sum(np.fmax(x, s) ** 2) + np.sum(W * np.logaddexp(x, y))
            + np.sum(np.logaddexp2(x, s)) + np.sum(W * np.mod(3.0 * x, y) ** 2)
            + np.sum(np.remainder(3.0 * x, 0.7)) + np.sum(W * np.fmod(3.0 * x, y) ** 2)
            + np.sum(W * np.true_divide(x, y)) + np.sum(W * np.float_power(y, x)))


def group_math(x, y):
    s = math.asinh(3.0 * x) * math.acosh(y + 1.0) + math.atanh(x) ** 2
    s += math.sin(math.radians(40.0 * x)) * math.degrees(y)
    s += math.fmod(7.0 * x, y) ** 2 + math.remainder(7.0 * x, y) ** 2
    return s


def group_cumulative(x, m, mp):
    return (np.sum(W * np.cumsum(x) ** 2) + np.sum(np.cumsum(m, axis=0) ** 3)
            + np.sum(np.sin(np.cumsum(m, 1))) + np.sum(np.cumsum(m) ** 2)
            + np.sum(W * np.cumprod(x)) + np.sum(np.cumprod(mp, axis=0) ** 2)
            + np.sum(np.sin(np.cumprod(mp, -1))) + np.sum(np.cumprod(m) * np.arange(12.0))
            + np.sum(W[:4] * np.diff(x) ** 2) + np.sum(np.diff(x, 2) ** 3)
            + np.sum(np.diff(m) ** 3) + np.sum(np.diff(m, 2) ** 2))


def group_shapes(x, m, s):
    return (np.sum(W * np.flip(x) ** 3) + np.sum(np.flip(m) * M) + np.sum(np.flip(m, 0) ** 3)
            + np.sum(np.fliplr(m) ** 3 * M) + np.sum(np.flipud(m) ** 3)
            + np.sum(W * np.roll(x, 2) ** 2) + np.sum(np.roll(m, 5) * M)
            + np.sum(np.reshape(m, (4, 3)) ** 3 * np.arange(3.0)) + np.sum(np.ravel(m) ** 3)
            + np.sum(W * np.squeeze(np.reshape(x, (5, 1)), axis=1) ** 3)
            + np.sum(np.atleast_1d(x) ** 3) + np.sum(np.atleast_1d(s) ** 3))


def group_matrices(x, m, s):
    return (np.trace(s) ** 2 + np.trace(m, 1) * np.trace(s, offset=-1)
            + np.sum(np.diag(x) * np.arange(25.0).reshape(5, 5)) + np.sum(np.diag(x, 1) ** 3)
            + np.sum(np.diag(m, -1) ** 2) + np.sum(np.diagonal(m) ** 3)
            + np.sum(np.diagonal(m, 1) ** 2) + np.sum(np.triu(s) ** 2 * S)
            + np.sum(np.tril(m, -1) ** 3) + np.sum(np.repeat(x, 3) ** 3 * np.arange(15.0))
            + np.sum(np.tile(x, 3) ** 3 * np.arange(15.0)))


def group_products(a, b, s, k):
    return (np.inner(a, b) ** 2 + np.sum(np.cross(a, b) ** 3) + np.sum(np.kron(a, b) ** 3)
            + np.sum(np.kron(s, k) ** 3))


GROUPS = {
    "unary": (group_unary, (X, U, G), (0, 1, 2)),
    "binary": (group_binary, (X, Y, 0.2), (0, 1, 2)),
    "math": (group_math, (0.31, 1.7), (0, 1)),
    "cumulative": (group_cumulative, (X, M, MP), (0, 1, 2)),
    "shapes": (group_shapes, (X, M, 0.7), (0, 1, 2)),
    "matrices": (group_matrices, (X, M, S), (0, 1, 2)),
    "products": (group_products, (V3, B3, S, K), (0, 1, 2, 3)),
}
