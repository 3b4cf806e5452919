"""Gradients of the SPEC section 3 subset agree with finite differences.

Every function below is plain Python that is also valid Numba nopython code
(except the few marked "not Numba-native": NumPy reductions with ``axis``
that Numba itself does not implement but SPEC section 3 requires, so the
``cpu`` target has to lower them).  Each is checked with ``sd.grad`` and
``sd.value_and_grad`` on the ``python`` and ``cpu`` targets, at one or more
argument sets chosen away from kinks and branch switches.  Argument sets of
the same types share one compiled gradient.
"""

import math
import sys
from math import exp
from math import log as mlog
from math import sin as msin
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy as xp
import pytest
from numpy import tanh as nptanh

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

TARGETS = ["python", "cpu"]


class Case(NamedTuple):
    f: object
    arg_sets: tuple
    wrt: object
    rtol: float
    atol: float
    id: str


CASES: list = []


def add_case(f, *arg_sets, wrt=0, rtol=1e-6, atol=1e-8, id=None):
    """Register ``f`` to be checked at each of ``arg_sets`` (tuples of arguments)."""
    CASES.append(Case(f, arg_sets, wrt, rtol, atol, id or f.__name__))


def arr(*values, dtype=np.float64):
    return np.array(values, dtype=dtype)


_rng = np.random.default_rng(20240611)


def uniform(shape, lo=-1.0, hi=1.0, dtype=np.float64):
    return _rng.uniform(lo, hi, shape).astype(dtype)


X5 = arr(0.31, -0.72, 1.13, 0.54, -0.27)  # generic vector, no element near 0 or a tie
P5 = arr(0.31, 0.72, 1.13, 0.54, 1.47)  # positive vector
Y5 = arr(-0.45, 0.61, 0.18, -1.02, 0.83)
A34 = uniform((3, 4))
B43 = uniform((4, 3))
C34 = uniform((3, 4))
POS34 = uniform((3, 4), 0.2, 1.5)


# ---------------------------------------------------------------------------
# 1. scalar arithmetic


def s_add(x, y):
    return x + y + 2.0


add_case(s_add, (1.3, 0.7), wrt=(0, 1))


def s_sub(x, y):
    return x - y - 1.5 * x - (y - 4.0)


add_case(s_sub, (1.3, 0.7), wrt=(0, 1))


def s_mul(x, y):
    return x * y * 3.0 * x


add_case(s_mul, (1.3, -0.7), wrt=(0, 1))


def s_div(x, y):
    return x / y + 2.0 / x - y / (x * x + 1.0)


add_case(s_div, (1.3, -0.7), (-2.1, 0.4), wrt=(0, 1))


def s_pow_const(x):
    return x**3 + x**0.5 + x**-1.5 + 2.0**x + x**2


add_case(s_pow_const, (1.3,), (0.45,))


def s_pow_var(x, y):
    return x**y + y**2 + (x + 1.0) ** (y * x)


add_case(s_pow_var, (1.3, 0.7), (0.6, -1.4), wrt=(0, 1))


def s_pow_int(x, n):             # an integer exponent: its own rule, an integer power
    return x ** n + (0.5 * x) ** (n - 1) + x ** (n - n) + 2.0 * x ** (n - 2)


add_case(s_pow_int, (1.3, 3), (-0.8, 2), (0.0, 2))


def s_floordiv(x, y):
    q = x // y  # piecewise constant: zero derivative away from the jumps
    return q * x + (x // 2.0) * y + y


add_case(s_floordiv, (3.7, 1.3), (-2.9, 1.1), wrt=(0, 1))


def s_mod(x, y):
    # x % y == x - y * floor(x / y): slope 1 in x, -floor(x / y) in y
    return (x % y) * y + x % 2.5


add_case(s_mod, (3.7, 1.3), (-2.9, 1.1), wrt=(0, 1))


def s_unary_minus(x):
    return -x * x + -(x - 1.0) - (-x) ** 3


add_case(s_unary_minus, (1.3,), (-0.6,))


def s_int_operand(x, n):
    return x * n + n / x + x**n - n


add_case(s_int_operand, (1.3, 3), (0.7, 2))


def s_aug_assign(x, y):
    s = x
    s += y
    s *= x
    s -= 2.0 * y
    s /= y
    s **= 2
    return s


add_case(s_aug_assign, (1.3, 0.7), wrt=(0, 1))


def s_tuple_unpack(x, y):
    a, b = x * y, x + y
    a, b = b, a
    c, d = a * b, math.sin(a)
    return c + d * b


add_case(s_tuple_unpack, (1.3, 0.7), wrt=(0, 1))


def s_reassign_chain(x):
    y = x * x
    y = math.sin(y) + x
    y = y * y - x
    y = math.exp(-y) * y
    return y


add_case(s_reassign_chain, (0.8,), (-1.3,))


def s_independent_of_wrt(x, y):
    return y * 2.0 + 1.0


add_case(s_independent_of_wrt, (0.8, 1.5), wrt=0)


def s_comparisons(x, y):
    s = x * y
    if x < y:
        s = s + x
    if x <= y:
        s = s * 2.0
    if x == y:
        s = s - 100.0
    if x != y:
        s = s + y * y
    if x >= 0.5 * y:
        s = s * x
    if x > y:
        s = s - x * x * x
    return s


add_case(s_comparisons, (0.6, 0.9), (1.7, 0.4), (0.3, 1.9), wrt=(0, 1))


def s_bool_ops(x, y):
    if (x > 0.0 and y > 0.0) or not (x > -1.0):
        return x * y
    if x > 0.0 or y > 0.0:
        return x + y * y
    return x * x - y


add_case(s_bool_ops, (0.6, 0.9), (-1.5, -0.5), (0.6, -0.9), (-0.5, -0.7), wrt=(0, 1))


def s_chained_compare(x):
    if 0.0 < x < 1.0:
        return x * x
    return 2.0 * x


add_case(s_chained_compare, (0.6,), (1.6,), (-0.4,))


# ---------------------------------------------------------------------------
# 2. every math.* function in SPEC section 3


def m_sin(x):
    return math.sin(2.0 * x) * x


add_case(m_sin, (0.7,), (-1.9,))


def m_cos(x):
    return math.cos(x * x) + x


add_case(m_cos, (0.7,), (-1.9,))


def m_tan(x):
    return math.tan(x) * x


add_case(m_tan, (0.4,), (-0.9,))


def m_asin(x):
    return math.asin(0.5 * x) * x


add_case(m_asin, (0.6,), (-1.2,))


def m_acos(x):
    return math.acos(x) + x * x


add_case(m_acos, (0.3,), (-0.7,))


def m_atan(x):
    return math.atan(3.0 * x) / (1.0 + x * x)


add_case(m_atan, (0.3,), (-2.7,))


def m_atan2(y, x):
    return math.atan2(y, x) * (x + 2.0)


add_case(m_atan2, (0.3, 0.7), (-0.4, -0.9), (0.5, -0.2), (-0.6, 0.1), wrt=(0, 1))


def m_sinh(x):
    return math.sinh(x) * x


add_case(m_sinh, (0.7,), (-1.9,))


def m_cosh(x):
    return math.cosh(x * 0.5) / x


add_case(m_cosh, (0.7,), (-1.9,))


def m_tanh(x):
    return math.tanh(2.0 * x) + x


add_case(m_tanh, (0.7,), (-1.1,))


def m_exp(x):
    return math.exp(x * x - x)


add_case(m_exp, (0.7,), (-1.1,))


def m_expm1(x):
    return math.expm1(x) / (1.0 + x * x)


add_case(m_expm1, (1e-3,), (0.7,), (-1.1,))


def m_log(x):
    return math.log(x) * x


add_case(m_log, (0.7,), (3.1,))


def m_log1p(x):
    return math.log1p(x * x)


add_case(m_log1p, (0.7,), (-1e-3,))


def m_log2(x):
    return math.log2(x) + x


add_case(m_log2, (0.7,), (5.3,))


def m_log10(x):
    return math.log10(x) * x


add_case(m_log10, (0.7,), (5.3,))


def m_sqrt(x):
    return math.sqrt(x) * x + math.sqrt(x * x + 1.0)


add_case(m_sqrt, (0.7,), (5.3,))


def m_pow(x, y):
    return math.pow(x, y) + math.pow(y, 2.0)


add_case(m_pow, (1.7, 0.6), (0.4, -1.3), wrt=(0, 1))


def m_fabs(x):
    return math.fabs(x) * x + math.fabs(x - 3.0)


add_case(m_fabs, (-0.7,), (1.3,), (3.4,))


def m_hypot(x, y):
    return math.hypot(x, y) * x


add_case(m_hypot, (0.3, -0.7), (-2.0, 1.5), wrt=(0, 1))


def m_erf(x):
    return math.erf(x) * x


add_case(m_erf, (0.3,), (-1.2,))


def m_lgamma(x):
    return math.lgamma(x) * x + math.lgamma(2.0 * x + 1.5)


# (between the poles, where Gamma < 0: log |Gamma|; and past the shift to 10)
add_case(m_lgamma, (0.3,), (-1.6,), (3.7,), (12.5,))


def m_gamma(x):
    return math.gamma(x) + math.gamma(x * x + 0.5) * x


add_case(m_gamma, (0.3,), (-1.6,), (2.2,))


def m_floor(x):
    return math.floor(x) * x + x


add_case(m_floor, (2.3,), (-1.6,))


def m_ceil(x):
    return math.ceil(x) * x * x


add_case(m_ceil, (2.3,), (-1.6,))


# ---------------------------------------------------------------------------
# 3. builtins


def b_abs(x):
    return abs(x) * x + abs(x - 1.0)


add_case(b_abs, (-1.3,), (0.4,), (2.2,))


def b_min(x, y):
    return min(x, y) * 2.0 + min(x, 1.0) * y


add_case(b_min, (0.3, 0.8), (1.7, 0.9), wrt=(0, 1))


def b_max(x, y):
    return max(x, y) ** 2 + max(x, y, 0.5)


add_case(b_max, (0.3, 0.8), (1.7, 0.9), (0.2, 0.1), wrt=(0, 1))


def b_pow(x, y):
    return pow(x, 3) + pow(x, y) + pow(y, 2.0)


add_case(b_pow, (1.7, 0.6), (0.4, -1.3), wrt=(0, 1))


def b_float(x, n):
    return float(n) * x + x / float(n + 1)


add_case(b_float, (1.7, 3), (-0.4, 5))


def b_int(x):
    return int(x) * x + x * x  # int() truncates: zero derivative away from integers


add_case(b_int, (2.6,), (-1.7,))


def b_len(x):
    s = 0.0
    for i in range(len(x)):
        s += x[i] * x[i] * (i + 1)
    return s / len(x)


add_case(b_len, (X5,))


def b_len_2d(a):
    s = 0.0
    for i in range(len(a)):
        s += math.sin(a[i, 0]) * a[i, 1]
    return s


add_case(b_len_2d, (A34,))


# ---------------------------------------------------------------------------
# 4. aliases: from math import exp, sin as msin, log as mlog; import numpy as xp


def alias_from_math(x):
    return exp(x) * msin(x) + mlog(x)


add_case(alias_from_math, (0.7,), (2.3,))


def alias_numpy_as_xp(x):
    return xp.sum(xp.exp(x) * xp.sin(x)) + xp.dot(x, x)


add_case(alias_numpy_as_xp, (X5,))


def alias_from_numpy(x):
    return np.sum(nptanh(x) * x)


add_case(alias_from_numpy, (X5,))


# ---------------------------------------------------------------------------
# 5. if / elif / else, conditional expressions, pass


def c_if_else(x):
    if x > 0.0:
        y = x * x
    else:
        y = -3.0 * x
    return y * x


add_case(c_if_else, (0.7,), (-0.4,))


def c_if_elif_else(x):
    if x < -1.0:
        y = math.exp(x)
    elif x < 1.0:
        y = math.sin(x) * x
    elif x < 2.0:
        y = x**3
    else:
        y = math.log(x)
    return y


add_case(c_if_elif_else, (-1.5,), (0.4,), (1.5,), (2.5,))


def c_if_no_else(x, y):
    z = x * y
    if x > y:
        z = z * z
    return z + x


add_case(c_if_no_else, (1.2, 0.5), (0.3, 0.5), wrt=(0, 1))


def c_if_nested(x, y):
    if x > 0.0:
        if y > 0.0:
            z = x * y
        else:
            z = x - y * y
    else:
        if y > x:
            z = math.sin(x * y)
        else:
            z = x * x * y
    return z


add_case(c_if_nested, (0.5, 0.8), (0.5, -0.8), (-0.5, 0.8), (-0.5, -0.9), wrt=(0, 1))


def c_ifexp(x):
    return x * x if x > 0.0 else math.sin(x)


add_case(c_ifexp, (0.7,), (-0.4,))


def c_ifexp_nested(x, y):
    z = (x * y if y > 0.0 else x / y) if x > 1.0 else (y * y if y > x else x**3)
    return z * x


add_case(c_ifexp_nested, (1.5, 0.5), (1.5, -0.5), (0.5, 0.8), (0.5, 0.2), wrt=(0, 1))


def c_branch_per_element(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] ** 2 if x[i] > 0.0 else 0.5 * x[i]
    return s


add_case(c_branch_per_element, (X5,))


def c_early_return_if(x):
    if x < 0.0:
        return -x * x
    y = math.exp(x)
    if y > 3.0:
        return y * x
    return y


add_case(c_early_return_if, (-0.5,), (0.5,), (1.5,))


def c_pass(x):
    y = x * 2.0
    if x > 1.0:
        pass
    else:
        y = y * x
    for i in range(3):
        pass
    return y


add_case(c_pass, (1.5,), (0.5,))


def c_bool_argument(x, use_sin):
    if use_sin:
        return math.sin(x) * x
    return x * x * x


add_case(c_bool_argument, (0.7, True), (0.7, False))


# ---------------------------------------------------------------------------
# 6. loops: range with 1, 2, 3 arguments, runtime bounds, while, break, continue


def l_range1(x, n):
    s = 0.0
    for i in range(n):
        s = s * x + 1.0
    return s


add_case(l_range1, (0.7, 5), (1.3, 3))


def l_range2(x, lo, hi):
    s = 0.0
    for i in range(lo, hi):
        s += x[i] ** 3
    return s


add_case(l_range2, (X5, 1, 4), (X5, 0, 5))


def l_range3(x, step):
    s = 0.0
    for i in range(1, x.shape[0], step):
        s += math.sin(x[i]) * x[i - 1]
    return s


add_case(l_range3, (X5, 2), (X5, 3), (X5, 1))


def l_negative_step(c, x):
    # Horner's rule, iterating the coefficients backwards
    s = 0.0
    for i in range(c.shape[0] - 1, -1, -1):
        s = s * x + c[i]
    return s


add_case(l_negative_step, (X5, 0.7), wrt=(0, 1))


def l_runtime_bounds(x, start, stop, step):
    s = 1.0
    for i in range(start, stop, step):
        s = s * x[i] + x[i] ** 2
    return s


add_case(l_runtime_bounds, (X5, 4, -1, -2), (X5, 0, 5, 2), (X5, 3, 0, -1))


def l_zero_trip(x, n):
    y = x
    for i in range(n):
        y = y * x + math.sin(y)
    return y


add_case(l_zero_trip, (0.7, 0), (0.7, 3))


def l_nested(x):
    s = 0.0
    n = x.shape[0]
    for i in range(n):
        for j in range(i):
            s += x[i] * x[j] * (i - j)
    return s


add_case(l_nested, (X5,))


def l_nested_triple(a, b):
    s = 0.0
    for i in range(a.shape[0]):
        for j in range(b.shape[1]):
            t = 0.0
            for k in range(a.shape[1]):
                t += a[i, k] * b[k, j]
            s += t * t
    return s


add_case(l_nested_triple, (A34, B43), wrt=(0, 1))


def l_loop_index_math(x, n):
    s = 0.0
    for i in range(n):
        t = i * 0.5 + 1.0
        s += math.sin(x * t) / t
    return s


add_case(l_loop_index_math, (0.7, 6))


def l_while_counter(x):
    k = 0
    y = x
    while k < 5:
        y = y * math.cos(y) + x
        k += 1
    return y


add_case(l_while_counter, (0.7,), (-0.3,))


def l_while_data(x):
    # the trip count depends on x; piecewise smooth away from the switch points
    y = x
    k = 0
    while y < 10.0:
        y = y * 1.5 + 0.1
        k += 1
    return y * k


add_case(l_while_data, (0.9,), (3.3,))


def l_while_true_break(x):
    y = x
    k = 0
    while True:
        y = 0.5 * (y + x / y)  # Newton iterations for sqrt(x)
        k += 1
        if k >= 6:
            break
    return y * y * y


add_case(l_while_true_break, (2.0,), (0.7,))


def l_break(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] < 0.0:
            break
        s += math.sqrt(x[i]) * x[i]
    return s + x[0]


add_case(l_break, (arr(0.5, 1.2, 0.3, -0.4, 0.9),), (P5,))


def l_break_inner(x):
    s = 0.0
    n = x.shape[0]
    for i in range(n):
        for j in range(n):
            if j > i:
                break
            s += x[i] * x[j] * x[j]
    return s


add_case(l_break_inner, (X5,))


def l_continue(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] < 0.0:
            continue
        s += x[i] ** 2 * (i + 1)
    return s * s


add_case(l_continue, (X5,))


def l_continue_while(x, n):
    s = 0.0
    i = 0
    while i < n:
        i += 1
        if i % 2 == 0:
            continue
        s = s * x + math.cos(s)
    return s


add_case(l_continue_while, (0.7, 7))


def l_return_in_loop(x, thresh):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
        if s > thresh:
            return s * math.sqrt(s)
    return -s


add_case(l_return_in_loop, (arr(0.5, 0.8, 1.1, 0.3), 1.0), (arr(0.5, 0.8, 1.1, 0.3), 10.0))


def l_return_in_nested_loop(x, limit):
    s = 0.0
    n = x.shape[0]
    for i in range(n):
        for j in range(n):
            s += x[i] * x[j] * 0.1 + 0.05
            if s > limit:
                return s * s
    return s


add_case(l_return_in_nested_loop, (P5, 0.9), (P5, 100.0))


def l_return_in_while(x):
    y = x
    while y < 100.0:
        y = y * y + 1.0
        if y > 20.0 and y < 40.0:
            return -y
    return y


add_case(l_return_in_while, (1.3,), (2.9,), (4.6,))


def l_reassign_nonlinear(y0, w, n):
    y = y0
    for i in range(n):
        y = math.sin(y) * w
    return y


add_case(l_reassign_nonlinear, (0.4, 1.7, 8), wrt=(0, 1))


def l_logistic(x0, r, n):
    x = x0
    for k in range(n):
        x = r * x * (1.0 - x)
    return x


add_case(l_logistic, (0.3, 2.8, 25), (0.3, 3.2, 12), wrt=(0, 1))


def l_rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


add_case(l_rosenbrock, (X5,), (uniform(12, -2.0, 2.0),))


def l_euler_decay(y0, k, dt, n):
    y = y0
    t = 0.0
    for i in range(n):
        y = y + dt * (-k * y + math.sin(t))
        t += dt
    return y


add_case(l_euler_decay, (1.3, 0.8, 0.05, 40), wrt=(0, 1))


def l_euler_pendulum(q0, p0, omega, n):
    state = np.zeros(2)
    state[0] = q0
    state[1] = p0
    dt = 0.01
    for i in range(n):
        q = state[0]
        p = state[1]
        state[0] = q + dt * p
        state[1] = p - dt * omega * omega * math.sin(q)
    return state[0] ** 2 + 0.5 * state[1]


add_case(l_euler_pendulum, (0.6, 0.1, 2.0, 50), wrt=(0, 1, 2))


def l_long_loop_tape(y0, w, n):
    # thousands of overwritten values and branch decisions: the tape must grow
    y = y0
    s = 0.0
    for i in range(n):
        if y > 0.5:
            y = math.sin(y) * w
        else:
            y = y * w + 0.3
        s += y
    return s / n


add_case(l_long_loop_tape, (0.4, 1.1, 3000), wrt=(0, 1))


# ---------------------------------------------------------------------------
# 7. calls to other user functions


def h_square(x):
    return x * x


def h_poly(x, w):
    return w * x**3 - x + 0.5 * w


def h_polar(x, y):
    return math.hypot(x, y), math.atan2(y, x)


def h_calls_helper(x):
    return h_square(math.sin(x)) + x


def h_dot(a, b):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s


def h_branchy(x):
    if x > 0.0:
        return x * x
    return -0.5 * x


def h_fill(out, x):
    for i in range(x.shape[0]):
        out[i] = math.tanh(x[i]) * 2.0


def u_calls_helper(x):
    return h_square(x) + h_square(2.0 * x) * x


add_case(u_calls_helper, (0.7,))


def u_helper_in_loop(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s += h_poly(x[i], w)
    return s


add_case(u_helper_in_loop, (X5, 0.6), wrt=(0, 1))


def u_helper_tuple(x, y):
    r, t = h_polar(x, y)
    return r * t + r


add_case(u_helper_tuple, (0.3, 0.7), (-0.5, 0.4), wrt=(0, 1))


def u_helper_nested(x):
    return h_calls_helper(x) * x


add_case(u_helper_nested, (0.7,), (-1.2,))


def u_helper_arrays(x, y):
    return h_dot(x, y) * h_dot(x, x)


add_case(u_helper_arrays, (X5, Y5), wrt=(0, 1))


def u_helper_branchy(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += h_branchy(x[i]) * x[i]
    return s


add_case(u_helper_branchy, (X5,))


def u_helper_writes_array(x):
    out = np.zeros(x.shape[0])
    h_fill(out, x)
    return np.sum(out * out * x)


# u_helper_writes_array: see test_helper_writing_into_an_array_argument below


def u_helper_reassigned_in_loop(x, w, n):
    y = x
    for i in range(n):
        y = h_poly(y, w) * 0.3
    return y


add_case(u_helper_reassigned_in_loop, (0.7, 0.9, 4), wrt=(0, 1))


# ---------------------------------------------------------------------------
# 8. local arrays, subscript and slice assignment, scratch arrays


def a_zeros(x):
    n = x.shape[0]
    t = np.zeros(n)
    for i in range(n):
        t[i] = x[i] * x[i]
    return np.sum(t * x)


add_case(a_zeros, (X5,))


def a_ones_2d(x):
    a = np.ones((2, x.shape[0]))
    a[0, :] = x
    a[1, :] = np.sin(x) + a[1, :]
    return np.sum(a * a * a)


add_case(a_ones_2d, (X5,))


def a_empty(x):
    n = x.shape[0]
    t = np.empty(n)
    for i in range(n):
        t[i] = math.exp(x[i])
    return t[0] * t[n - 1] + np.sum(t)


add_case(a_empty, (X5,))


def a_zeros_like(x):
    t = np.zeros_like(x)
    t[1:] = x[:-1] * x[1:]
    return np.sum(t) + t[1] * t[2]


add_case(a_zeros_like, (X5,))


def a_empty_like(x):
    t = np.empty_like(x)
    for i in range(x.shape[0]):
        t[i] = x[i] ** 2
    return np.sum(np.sqrt(t + 1.0))


add_case(a_empty_like, (X5,))


def a_copy(x):
    y = x.copy()
    y[0] = y[0] * 3.0
    y[1] += y[0]
    return np.sum(y * y)


add_case(a_copy, (X5,))


def a_subscript_assign(x, y):
    a = np.zeros(3)
    a[0] = x * y
    a[1] = a[0] * x
    a[2] = math.sin(a[1]) + a[0]
    a[0] = a[2] * a[2]  # overwrites a value that the adjoint of a[1] and a[2] needs
    return a[0] + a[1]


add_case(a_subscript_assign, (0.7, 1.3), wrt=(0, 1))


def a_subscript_aug_2d(x):
    n = x.shape[0]
    a = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            a[i, j] += x[i] * x[j]
        a[i, i] += math.cos(x[i])
        a[i, i] *= x[i]
    return np.sum(a * a)


add_case(a_subscript_aug_2d, (X5,))


def a_slice_assign(x):
    a = np.zeros(5)
    a[1:3] = x[0:2] * 2.0
    a[3:] = np.exp(x[2:4])
    a[0] = a[1] * a[4]
    a[:2] += x[3:5]
    return np.sum(a * a)


add_case(a_slice_assign, (X5,))


def a_slice_read(x):
    return np.sum(x[1:] * x[:-1]) + np.sum(x[::2]) ** 2 + x[-1] * x[-2]


add_case(a_slice_read, (X5,))


def a_slices_2d(a):
    return np.sum(a[1, :] ** 2) + np.sum(a[:, 0] * a[:, 2]) + np.sum(a[1:, :2] ** 3)


add_case(a_slices_2d, (A34,))


def a_index_arithmetic(x):
    n = x.shape[0]
    s = 0.0
    for i in range(1, n - 1):
        s += (x[i + 1] - x[i - 1]) ** 2 * x[n - 1 - i] + x[(i * 3) % n] * x[i]
    return s


add_case(a_index_arithmetic, (X5,))


def a_int_index_array(x, idx, w):
    s = 0.0
    for k in range(idx.shape[0]):
        s += x[idx[k]] ** 2 * w
    return s


add_case(a_int_index_array, (X5, np.array([4, 0, 2, 2, 1], dtype=np.int64), 1.3), wrt=(0, 2))


def a_scratch_reuse(x, w, n):
    m = x.shape[0]
    tmp = np.zeros(m)
    s = 0.0
    for k in range(n):
        for j in range(m):
            tmp[j] = math.sin(tmp[j] * w + x[j])  # overwritten every iteration
        s += tmp[0] * tmp[m - 1]
    return s


add_case(a_scratch_reuse, (X5, 0.8, 4), wrt=(0, 1))


def a_overwrite_in_place(x):
    y = x.copy()
    n = y.shape[0]
    for it in range(3):
        for i in range(n):
            y[i] = y[i] * y[i] - 0.3 * y[(i + 1) % n]
    return np.sum(y)


add_case(a_overwrite_in_place, (0.5 * X5,))


def a_heat_stencil(u0, c, steps):
    u = u0.copy()
    new = np.empty_like(u)
    n = u.shape[0]
    for t in range(steps):
        new[0] = u[0]
        new[n - 1] = u[n - 1]
        for i in range(1, n - 1):
            new[i] = u[i] + c * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u[:] = new
    return np.sum(u**3)


add_case(a_heat_stencil, (X5, 0.2, 6), wrt=(0, 1))


def a_running_buffer(x):
    buf = np.empty(1)
    buf[0] = 1.0
    s = 0.0
    for i in range(x.shape[0]):
        buf[0] = buf[0] * math.cos(x[i]) + x[i]
        s += buf[0] * buf[0]
    return s


add_case(a_running_buffer, (X5,))


# ---------------------------------------------------------------------------
# 9. NumPy ufuncs and array arithmetic on whole arrays and slices


def n_sin_cos(x):
    return np.sum(np.sin(x) * np.cos(2.0 * x))


add_case(n_sin_cos, (X5,))


def n_tan(x):
    return np.sum(np.tan(x) * x)


add_case(n_tan, (X5,))


def n_arc(x):
    return np.sum(np.arcsin(0.5 * x) + np.arccos(0.3 * x) * x + np.arctan(x))


add_case(n_arc, (X5,))


def n_arctan2(y, x):
    return np.sum(np.arctan2(y, x) * x)


add_case(n_arctan2, (X5, Y5), wrt=(0, 1))


def n_hyperbolic(x):
    return np.sum(np.sinh(x) * np.cosh(x) + np.tanh(x) * x)


add_case(n_hyperbolic, (X5,))


def n_exp_log(x):
    return np.sum(np.exp(x) * np.log(x))


add_case(n_exp_log, (P5,))


def n_expm1_log1p(x):
    return np.sum(np.expm1(x) * x + np.log1p(x * x))


add_case(n_expm1_log1p, (X5,))


def n_log2_log10(x):
    return np.sum(np.log2(x) * np.log10(x + 1.0))


add_case(n_log2_log10, (P5,))


def n_sqrt(x):
    return np.sum(np.sqrt(x * x + 1.0)) + np.sqrt(x)[0] * x[1]


add_case(n_sqrt, (P5,))


def n_abs_fabs(x):
    return np.sum(np.abs(x) * x) + np.sum(np.fabs(x - 0.5))


add_case(n_abs_fabs, (X5,))


def n_power(x, y):
    return np.sum(np.power(x, 2.5) + np.power(x, y) + x**y)


add_case(n_power, (P5, 0.7), wrt=(0, 1))


def n_hypot(x, y):
    return np.sum(np.hypot(x, y) * x)


add_case(n_hypot, (X5, Y5), wrt=(0, 1))


def n_floor_ceil(x):
    return np.sum(np.floor(x) * x + np.ceil(x) * x * x)


add_case(n_floor_ceil, (3.0 * X5,))


def n_ufunc_on_slices(x):
    return np.sum(np.exp(x[1:]) * np.sin(x[:-1])) + np.sum(np.log(x[::2] ** 2 + 1.0))


add_case(n_ufunc_on_slices, (X5,))


def n_array_arithmetic(x, y):
    return np.sum((x + y) * (x - y) / (y * y + 1.0) - x**2 + 2.0**x - (-y))


add_case(n_array_arithmetic, (X5, Y5), wrt=(0, 1))


def n_scalar_broadcast(x, w):
    return np.sum(w * x + w * w - x / w + np.exp(x * w))


add_case(n_scalar_broadcast, (X5, 0.6), wrt=(0, 1))


def n_broadcast_row(a, b):
    return np.sum((a + b) ** 2 * b)


add_case(n_broadcast_row, (A34, uniform(4)), wrt=(0, 1))


def n_maximum(x, y):
    return np.sum(np.maximum(x, 0.3) ** 2) + np.sum(np.maximum(x, y) * y)


add_case(n_maximum, (X5, Y5), wrt=(0, 1))


def n_minimum(x, y):
    return np.sum(np.minimum(x, y) * x) + np.sum(np.minimum(x, -0.1))


add_case(n_minimum, (X5, Y5), wrt=(0, 1))


def n_where(x, y):
    return np.sum(np.where(x > 0.0, x * x, 0.1 * x) + np.where(x > y, y, x * y))


add_case(n_where, (X5, Y5), wrt=(0, 1))


def n_clip(x):
    return np.sum(np.clip(x, -0.5, 0.5) * x)


add_case(n_clip, (X5,))


def n_temporaries_chain(x):
    y = np.exp(-x * x)
    y = y * np.cos(x) + x
    y = np.tanh(y)
    return np.sum(y * y)


add_case(n_temporaries_chain, (X5,))


# ---------------------------------------------------------------------------
# 10. reductions


def r_sum(a):
    return np.sum(a * a) + np.sum(np.sin(a))


add_case(r_sum, (A34,))


def r_sum_axis0(a):
    return np.sum(np.sum(a, axis=0) ** 2)


add_case(r_sum_axis0, (A34,))


def r_sum_axis1(a):
    return np.sum(np.sin(np.sum(a, axis=1)) * np.sum(a, 1))


add_case(r_sum_axis1, (A34,))


def r_mean(a):
    return np.mean(a**2) * np.mean(a)


add_case(r_mean, (A34,))


def r_mean_axis0(a):  # not Numba-native: np.mean with axis
    return np.sum(np.mean(a, axis=0) ** 3)


add_case(r_mean_axis0, (A34,))


def r_mean_axis1(a):  # not Numba-native: np.mean with axis
    return np.sum(np.exp(np.mean(a, axis=1)))


add_case(r_mean_axis1, (A34,))


def r_prod(x):
    return np.prod(x) + np.prod(x * x + 1.0)


add_case(r_prod, (X5,))


def r_prod_axis1(a):  # not Numba-native: np.prod with axis
    return np.sum(np.prod(a, axis=1))


add_case(r_prod_axis1, (A34,))


def r_max(a):
    return np.max(a) * np.max(a[1, :]) + np.max(a * a)


add_case(r_max, (A34,))


def r_max_axis0(a):  # not Numba-native: np.max with axis
    return np.sum(np.max(a, axis=0) ** 2)


add_case(r_max_axis0, (A34,))


def r_min(a):
    return np.min(a) ** 2 + np.min(np.cos(a))


add_case(r_min, (A34,))


def r_min_axis1(a):  # not Numba-native: np.min with axis
    return np.sum(np.min(a, axis=1) * np.sum(a, axis=1))


add_case(r_min_axis1, (A34,))


def r_method_sum(x):
    return x.sum() * (x * x).sum()


add_case(r_method_sum, (X5,))


def r_method_sum_axis(a):
    return (a.sum(axis=0) ** 2).sum() + (a.sum(axis=1) ** 3).sum()


add_case(r_method_sum_axis, (A34,))


def r_method_mean(x):
    return (x * x).mean() + x.mean() ** 2


add_case(r_method_mean, (X5,), (A34,), id="r_method_mean")


def r_logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


add_case(r_logsumexp, (X5,))


# ---------------------------------------------------------------------------
# 11. linear algebra and array attributes


def la_dot_1d(x, y):
    return np.dot(x, y) ** 2 + np.dot(x, x)


add_case(la_dot_1d, (X5, Y5), wrt=(0, 1))


def la_dot_2d_1d(a, x):
    return np.sum(np.tanh(np.dot(a, x)))


add_case(la_dot_2d_1d, (A34, uniform(4)), wrt=(0, 1))


def la_dot_2d_2d(a, b):
    return np.sum(np.dot(a, b) ** 2)


add_case(la_dot_2d_2d, (A34, B43), wrt=(0, 1))


def la_matmul_vec(a, x):
    y = a @ x
    return y @ y


add_case(la_matmul_vec, (A34, uniform(4)), wrt=(0, 1))


def la_matmul_mat(a, b):
    c = a @ b
    return np.sum(c * c) + np.sum(a @ a.T)


add_case(la_matmul_mat, (A34, B43), wrt=(0, 1))


def la_outer(x, y):
    return np.sum(np.sin(np.outer(x, y)))


add_case(la_outer, (X5, uniform(3)), wrt=(0, 1))


def la_transpose(a):
    return np.sum((a.T @ a) ** 2) + np.sum(a.T[0, :] * a[:, 1])


add_case(la_transpose, (A34,))


def la_shape_size(a):
    n, m = a.shape
    s = 0.0
    for i in range(n):
        for j in range(m):
            s += a[i, j] ** 2 * (i + 1) / (j + 1)
    return s / a.size + a.shape[0] * a[0, 0]


add_case(la_shape_size, (A34,))


def la_method_dot(x, y):
    return x.dot(y) * x.dot(x)


add_case(la_method_dot, (X5, Y5), wrt=(0, 1))


def la_reshape(a):
    b = a.reshape((4, 3))
    return np.sum(b[:, 0] * b[:, 2]) + np.sum(a.reshape(12) ** 3)


add_case(la_reshape, (A34,))


def la_mlp(w1, b1, w2, x):
    h = np.tanh(w1 @ x + b1)
    y = w2 @ h
    return np.sum(y * y)


add_case(la_mlp, (A34, uniform(3), uniform((2, 3)), uniform(4)), wrt=(0, 1, 2))


def la_least_squares(w, xs, ys):
    r = xs @ w - ys
    return 0.5 * (r @ r) / ys.shape[0]


add_case(la_least_squares, (uniform(3), B43, uniform(4)), wrt=0)


def la_vectorized_rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


add_case(la_vectorized_rosenbrock, (X5,))


# ---------------------------------------------------------------------------
# 12. float32 arrays: gradients are float32; float32 arithmetic in the
#     gradient only agrees with float64 finite differences to ~1e-6, so these
#     use rtol=1e-3 (FD itself is computed on float64 copies).

X5_32 = X5.astype(np.float32)
A34_32 = A34.astype(np.float32)
V4_32 = uniform(4, dtype=np.float32)


def f32_sum_cubes(x):
    return np.sum(x * x * x)


add_case(f32_sum_cubes, (X5_32,), rtol=1e-3, atol=1e-6)


def f32_loop(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s += w * math.sin(x[i])
    return s


add_case(f32_loop, (X5_32, 0.7), wrt=(0, 1), rtol=1e-3, atol=1e-6)


def f32_dot(a, x):
    return np.sum(np.tanh(np.dot(a, x)))


add_case(f32_dot, (A34_32, V4_32), wrt=(0, 1), rtol=1e-3, atol=1e-6)


def f32_local_array(x):
    t = np.zeros_like(x)
    t[:] = np.exp(x)
    return np.sum(t * x)


add_case(f32_local_array, (X5_32,), rtol=1e-3, atol=1e-6)


def f32_reduce_axis(a):
    return np.sum(np.sum(a, axis=0) ** 2)


add_case(f32_reduce_axis, (A34_32,), rtol=1e-3, atol=1e-6)


# ---------------------------------------------------------------------------
# 13. wrt as int, name, tuple, 1-tuple, reversed order; tuple arguments


def w_three(x, y, z):
    return x * y * math.exp(z) + y**2 - z * x


for _wrt in (0, "y", 2, (0, 2), ("z", "x"), (0,), (2, 1, 0), ("y",)):
    add_case(w_three, (0.7, -1.3, 0.4), wrt=_wrt, id=f"w_three-wrt={_wrt!r}")


def w_array_and_scalar(x, s, n):
    t = 0.0
    for i in range(n):
        t += math.exp(s * x[i]) * x[i]
    return t


for _wrt in ("x", "s", ("s", "x"), (1,)):
    add_case(w_array_and_scalar, (X5, 0.3, 4), wrt=_wrt, id=f"w_array_and_scalar-wrt={_wrt!r}")


def t_tuple_argument(p, x):
    a, b = p
    return a * x * x + b * math.sin(x) + p[0] * p[1]


add_case(t_tuple_argument, ((0.7, -1.3), 0.4), wrt=1, id="t_tuple_argument-wrt=1")
add_case(t_tuple_argument, ((0.7, -1.3), 0.4), wrt=0, id="t_tuple_argument-wrt=0")


# ---------------------------------------------------------------------------


def _case_ids():
    return [c.id for c in CASES]


assert len(set(_case_ids())) == len(CASES), "duplicate case ids"


# Every case runs on the python target; the cpu target compiles each with Numba,
# except the plain scalar arithmetic, branches and the other orders of one
# function's arguments: their generated code is made of the same statements as
# that of cases compiled for cpu here (the math rules, builtins, helpers, loops,
# arrays) and in tests/core/test_programs.py (branches in loops), and a Numba
# compile per case was a fifth of this file's time.
# The method forms (x.sum(), x.mean(), a.sum(axis=...), x.dot(y)) are normalized to
# the function forms before code is generated (np.sum, np.mean, x @ y: the generated
# source is that of the function form), so they compile for cpu as r_sum, r_mean,
# r_sum_axis0 / r_sum_axis1 and la_dot_1d do.
METHOD_FORMS = {"r_method_sum", "r_method_mean", "r_method_sum_axis", "la_method_dot"}
PYTHON_ONLY = {c.id for c in CASES if c.id.startswith(("s_", "c_"))} | \
    {c.id for c in CASES if c.id.startswith("w_three")} - {"w_three-wrt=(2, 1, 0)",
                                                          "w_three-wrt='y'"} | METHOD_FORMS
PARAMS = [(c, t) for c in CASES for t in TARGETS if t == "python" or c.id not in PYTHON_ONLY]


@pytest.mark.parametrize("case,target", PARAMS, ids=[f"{c.id}-{t}" for c, t in PARAMS])
def test_gradient_matches_finite_differences(case, target):
    for args in case.arg_sets:
        check_grad(case.f, args, wrt=case.wrt, target=target, rtol=case.rtol, atol=case.atol)


def test_subset_has_enough_distinct_functions():
    functions = {c.f for c in CASES}
    assert len(functions) >= 110, len(functions)


@pytest.mark.parametrize("target", TARGETS)
def test_helper_writing_into_an_array_argument(target):
    # A helper that fills an array argument (a common Numba idiom) is not named
    # in SPEC section 3: either it is supported and correct, or it is a
    # TransformError at the call, never a wrong gradient.
    import sourcediff as sd

    try:
        sd.grad(u_helper_writes_array, target=target)(X5)
    except sd.TransformError as err:
        assert "h_fill(out, x)" in err.source_line, str(err)
        return
    check_grad(u_helper_writes_array, (X5,), 0, target)
