"""Functions defined inside the function being differentiated (a nested
``def`` or ``g = lambda ...``) are lifted out as helpers, the enclosing names
they read passed at each call (passes/local_functions.py); refused before
("cannot differentiate through 'lambda'", "nested function definitions")."""
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forward"))
from fdcheck import check_grad
from jvpcheck import check_jvp


def closures(x, k):
    scale = 2.0 * k
    sq = lambda t: scale * t * t  # (as users write it)

    def rhs(y, i):                      # reads k and x, and calls sq (which reads scale)
        return sq(y) - k * math.sin(y) + x[i]
    s = 0.0
    y = 0.5
    for i in range(x.shape[0]):
        y = y + 0.1 * rhs(y, i)
        s += y
    return s


def bound_in_a_loop(x):
    s = 0.0
    for i in range(3):
        w = x[i]
        f = lambda t: t * w  # noqa: B023  (reads this iteration's w, as called)
        s += f(x[i + 1])
    return s


def array_helper(x, c):
    def smooth(v):
        out = np.empty_like(v)
        out[0] = v[0]
        for j in range(1, v.shape[0]):
            out[j] = c * v[j] + (1.0 - c) * out[j - 1]
        return out
    return np.sum(smooth(x) ** 2) + np.sum(smooth(x[::-1]))


def lambda_rhs(x0, W1, b1, W2, dt, nsteps):
    f = lambda y: W2 @ np.tanh(W1 @ y + b1)
    x = x0
    for k in range(nsteps):
        k1 = f(x)
        k2 = f(x + 0.5 * dt * k1)
        k3 = f(x + 0.5 * dt * k2)
        k4 = f(x + dt * k3)
        x = x + dt * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return np.sum(x * x)


X = np.linspace(0.1, 0.6, 5)
_rng = np.random.default_rng(4)
NODE = (_rng.normal(size=3), _rng.normal(size=(6, 3)), _rng.normal(size=6),
        _rng.normal(size=(3, 6)), 0.1, 3)
CASES = [(closures, (X, 0.7), (0, 1)), (bound_in_a_loop, (X,), 0),
         (array_helper, (X, 0.3), (0, 1)), (lambda_rhs, NODE, (0, 1, 2, 3))]


@pytest.mark.parametrize("f,args,wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_and_tangent(f, args, wrt):
    check_grad(f, args, wrt, "python")
    check_jvp(f, args, wrt, "python")


def test_compiled():
    check_grad(closures, (X, 0.7), (0, 1), "cpu")


def test_a_lambda_right_hand_side_is_inlined_as_a_helper_is():
    """A new user's neural ODE, RK4 with ``f = lambda y: W2 @ np.tanh(W1 @ y + b1)``:
    lifted out before the inliner runs, the lambda's four calls are copied into the
    step as a module-level helper's are (it was called through its own VJP, which
    ran its body again and returned new arrays per stage: 5.0x the primal -> 1.5x)."""
    text = sd.value_and_grad(lambda_rhs, wrt=(0, 1, 2, 3), target="python").source_for(*NODE)
    sites = set(re.findall(r"\(inlined at lambda_rhs:(\d+)\)", text))
    assert "_vjp(" not in text and len(sites) == 4, text


def test_the_value_is_pythons():
    for f, args, _ in CASES:
        value, _ = sd.value_and_grad(f, target="python")(*args)
        assert value == pytest.approx(f(*args), rel=1e-14), f.__name__


def test_what_stays_refused_is_a_located_error():
    def passed_on(x):
        g = lambda t: t * 2.0
        return np.sum(np.vectorize(g)(x))

    def defined_twice(x):
        g = lambda t: t
        g = lambda t: 2 * t
        return g(x[0])

    def with_default(x):
        g = lambda t, c=2.0: t * c
        return g(x[0])

    def changes_its_enclosing_names(x):
        total = 0.0

        def add(v):
            nonlocal total
            total = total + v
            return total
        return add(x[0])

    for fn, words in ((passed_on, "can only be called here"), (defined_twice, "defined twice"),
                      (with_default, "only have plain parameters"),
                      (changes_its_enclosing_names, "assigns .total. of an enclosing scope")):
        with pytest.raises(sd.TransformError, match=words) as err:
            sd.grad(fn, target="python")(X)
        assert "test_local_functions.py" in str(err.value), fn.__name__
