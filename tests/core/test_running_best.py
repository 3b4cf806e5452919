"""A running best (``if v > best: best = v``) is searched with a detached copy
and the winner's value read again after the loop (passes/running_best.py):
gradients against central differences on both targets and in forward mode,
ties, no winner, NaN, the code written, and the loops left as they were."""
from __future__ import annotations

import math

import numpy as np
import pytest

import sourcediff as sd
from tests.fdcheck import check_grad
from tests.forward.jvpcheck import check_jvp


def viterbi(log_pi, log_A, log_B, obs):
    """Max-product over a chain: a running max per state and step."""
    K = log_pi.shape[0]
    delta = np.empty(K)
    new = np.empty(K)
    for j in range(K):
        delta[j] = log_pi[j] + log_B[j, obs[0]]
    for t in range(1, obs.shape[0]):
        for j in range(K):
            best = -np.inf
            for i in range(K):
                v = delta[i] + log_A[i, j]
                if v > best:  # noqa: PLR1730 (the loop form is what is tested)
                    best = v
            new[j] = best + log_B[j, obs[t]]
        delta, new = new, delta
    return np.sum(delta * delta)


def nearest(x, c, w):
    """A running minimum of squared distances with its argmin, both read after."""
    total = 0.0
    for j in range(c.shape[0]):
        best = math.inf
        arg = 0
        for i in range(x.shape[0]):
            d = (x[i] - c[j]) * w
            if d * d < best:
                best = d * d
                arg = i
        total += best * (1.0 + 0.1 * arg) + best * best
    return total


def first_or_last(x, y):
    """``>`` keeps the first of equal values, ``>=`` the last."""
    a = -1.0e300
    b = -1.0e300
    for i in range(x.shape[0]):
        if x[i] > a:  # noqa: PLR1730
            a = x[i]
    for i in range(y.shape[0]):
        if y[i] >= b:  # noqa: PLR1730
            b = y[i]
    return 2.0 * a + 3.0 * b


def seeded(x, c):
    """The best from before the loop wins when no value beats it."""
    best = c * c
    for i in range(x.shape[0]):
        if x[i] > best:  # noqa: PLR1730
            best = x[i]
    return 2.0 * best


def running_prefix_max(x):
    """The value compared is computed from a number the loop carries (``acc``):
    after the loop ``acc`` holds its last value, not the winner's (kept)."""
    acc = 0.0
    best = -1e300
    for i in range(x.shape[0]):
        acc2 = acc + x[i]
        acc = acc2
        if acc2 > best:  # noqa: PLR1730
            best = acc2
    return best * 2.0 + acc


def stepping_down(x, w):
    """A range counting down by two, ``>=``, the argmax read after, the new value
    computed in the branch from the index."""
    best = -math.inf
    arg = -1
    for i in range(x.shape[0] - 1, -1, -2):
        if x[i] * w >= best:
            best = x[i] * w + 0.0
            arg = i
    return best * best + arg


def read_in_the_loop(x):
    """``best`` read elsewhere in the loop: every iteration needs it (kept)."""
    best = 0.0
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > best:  # noqa: PLR1730
            best = x[i]
        s += best * x[i]
    return s


rng = np.random.default_rng(5)
K, T, M = 3, 5, 4
VITERBI = (np.log(rng.dirichlet(np.ones(K))), np.log(rng.dirichlet(np.ones(K), size=K)),
           np.log(rng.dirichlet(np.ones(M), size=K)), rng.integers(0, M, T))
NEAREST = (rng.standard_normal(7), rng.standard_normal(3), 1.3)
CASES = [(viterbi, VITERBI, (0, 1, 2)), (nearest, NEAREST, (0, 1, 2)),
         (seeded, (rng.standard_normal(5), 0.4), (0, 1)),
         (read_in_the_loop, (rng.uniform(0.1, 1.0, 6),), 0),
         (running_prefix_max, (rng.standard_normal(6),), 0),
         (stepping_down, (rng.standard_normal(7), 0.7), (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target, check_value=target == "python")


@pytest.mark.parametrize("f, args, wrt", CASES[:2], ids=["viterbi", "nearest"])
def test_tangents(f, args, wrt):
    check_jvp(f, args, wrt, target="python")


def test_ties_go_where_the_loop_sends_them():
    x = np.array([1.0, 3.0, 2.0, 3.0])
    _, (dx, dy) = sd.value_and_grad(first_or_last, wrt=(0, 1), target="python")(x, x.copy())
    assert np.array_equal(dx, [0.0, 2.0, 0.0, 0.0])      # the first 3.0
    assert np.array_equal(dy, [0.0, 0.0, 0.0, 3.0])      # the last


def test_no_winner_leaves_the_seed():
    x = np.array([0.1, -0.5, 0.2])
    v, (dx, dc) = sd.value_and_grad(seeded, wrt=(0, 1), target="python")(x, 0.9)
    assert v == 2.0 * 0.81 and dc == 2.0 * 2.0 * 0.9 and not dx.any()


def test_nan_is_never_the_best():
    x = np.array([0.3, np.nan, 0.7, 0.1])
    v, (dx, dc) = sd.value_and_grad(seeded, wrt=(0, 1), target="python")(x, 0.2)
    assert v == 1.4 and np.array_equal(dx, [0.0, 0.0, 2.0, 0.0]) and dc == 0.0


def source(f, args, wrt):
    return sd.grad(f, wrt=wrt, target="python").source_for(*args)


def test_the_search_stores_an_index_not_the_values():
    text = source(*CASES[0])
    assert "best_s = best" in text and "_win = i if _c" in text.replace("_win2", "_win")
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "'best'" not in plan and "_saved_best" not in text
    # the reverse of the search is the winner's alone: no loop over i left in it
    reverse = text[text.index("# -- reverse sweep"):]
    assert not [ln for ln in reverse.splitlines() if ln.strip().startswith("for i in")]


def test_a_best_read_in_the_loop_is_left_as_it_was():
    text = source(*CASES[3])
    assert "best_s" not in text and "_win" not in text


def test_a_value_from_a_carried_number_is_left_as_it_was():
    x = np.array([0.5, 1.0, -2.0, 0.3])
    v, g = sd.value_and_grad(running_prefix_max, target="python")(x)
    assert v == running_prefix_max(x) and np.array_equal(g, [3.0, 3.0, 1.0, 1.0])
    assert "_win" not in source(*CASES[4])


@pytest.mark.parametrize("case", [1, 5], ids=["nearest", "stepping_down"])
def test_a_value_the_branch_computes_is_computed_again_after_the_loop(case):
    text = source(*CASES[case])
    plan = text[text.index("# Plan:"):text.index("# -- ")]
    assert "_win" in text and "best_new_w" in text
    assert "_saved" not in text and "stored: nothing" in plan      # nothing of the search kept


# --- ``best = max(best, v)``: the same search; max's rule splits a tie's adjoint
# equally, and the rewrite keeps that (passes/running_best.py ``_ties_shared``)

def viterbi_max(log_pi, log_A, log_B, obs):
    """The Viterbi recursion above with ``best = max(best, v)``."""
    K = log_pi.shape[0]
    delta = np.empty(K)
    new = np.empty(K)
    for j in range(K):
        delta[j] = log_pi[j] + log_B[j, obs[0]]
    for t in range(1, obs.shape[0]):
        for j in range(K):
            best = -np.inf
            for i in range(K):
                v = delta[i] + log_A[i, j]
                best = max(best, v)
            new[j] = best + log_B[j, obs[t]]
        delta, new = new, delta
    return np.sum(delta * delta)


def chained_max(x, w):
    """A running max seeded by the first value, scaled after."""
    best = x[0] * w
    for i in range(1, x.shape[0]):
        best = max(best, x[i] * w)
    return best * best


def chained_min_from(x, c, start):
    """``min`` over ``range(start, n)``, seeded by ``c`` (a tie with the seed while
    no value has beaten it)."""
    best = c
    for i in range(start, x.shape[0]):
        y = x[i] + 0.0
        best = min(best, y)
    return 3.0 * best


def max_value_first(x):
    """``max(v, best)``: NaN in ``v`` goes through, unlike ``max(best, v)`` (kept)."""
    best = -1e300
    for i in range(x.shape[0]):
        best = max(x[i], best)
    return 2.0 * best


def chain_oracle(seed, values, pick):
    """The adjoints of ``seed`` and ``values`` in ``b = pick(b, v)`` over the
    values, step by step backwards: ``pick(a, b)`` is ``a`` unless ``b`` is
    better (a NaN ``b`` loses), a tie shares equally: an independent account of
    what the chain's derivative is."""
    bests = [seed]
    for v in values:
        bests.append(pick(bests[-1], v))
    better = (lambda a, b: a > b) if pick is max else (lambda a, b: a < b)
    g, dv = 1.0, np.zeros(len(values))
    for k in range(len(values) - 1, -1, -1):
        a, b = bests[k], values[k]
        ga = (0.0 if better(b, a) else g) - (0.5 * g if a == b else 0.0)   # a NaN b loses
        dv[k] = (g if better(b, a) else 0.0) + (0.5 * g if a == b else 0.0)
        g = ga
    return g, dv


MAX_CASES = [(viterbi_max, VITERBI, (0, 1, 2)),
             (chained_max, (rng.standard_normal(6), 0.8), (0, 1)),
             (chained_min_from, (rng.standard_normal(6), 0.1, 2), (0, 1)),
             (max_value_first, (rng.standard_normal(5),), 0)]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", MAX_CASES, ids=[c[0].__name__ for c in MAX_CASES])
def test_max_form_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target, check_value=target == "python")


def test_max_form_tangents():
    check_jvp(*MAX_CASES[0], target="python")


def test_max_form_is_the_if_form_without_ties():
    a = sd.value_and_grad(viterbi, wrt=(0, 1, 2), target="python")(*VITERBI)
    b = sd.value_and_grad(viterbi_max, wrt=(0, 1, 2), target="python")(*VITERBI)
    assert a[0] == b[0] and all(np.array_equal(p, q) for p, q in zip(a[1], b[1]))


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("x", [[1.0, 3.0, 3.0, 2.0, 3.0], [2.0, 2.0, 2.0, 2.0],
                               [3.0, 1.0, 3.0, 3.0], [1.0, np.nan, 1.0, 0.5]],
                         ids=["after_the_winner", "all_equal", "with_the_seed", "nan"])
def test_max_form_ties_split_as_the_rule_does(x, target):
    x = np.array(x)
    v, (dx, dw) = sd.value_and_grad(chained_max, wrt=(0, 1), target=target)(x, 1.0)
    dseed, dvalues = chain_oracle(x[0], list(x[1:]), max)
    best = x[0] if not x[1:].size else chained_max(x, 1.0) ** 0.5
    assert v == chained_max(x, 1.0)
    expected = 2.0 * best * np.concatenate([[dseed], dvalues])
    assert np.array_equal(dx, expected)
    assert dw == pytest.approx(float(np.nansum(expected * x)))


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_min_form_ties_with_the_seed_and_its_start(target):
    x = np.array([-5.0, 0.5, 0.5, 0.7, 0.5])     # x[0] outside range(2, n)
    _, (dx, dc) = sd.value_and_grad(chained_min_from, wrt=(0, 1), target=target)(x, 0.5, 2)
    dseed, dvalues = chain_oracle(0.5, list(x[2:]), min)
    assert dc == 3.0 * dseed == 0.75
    assert np.array_equal(dx, 3.0 * np.concatenate([[0.0, 0.0], dvalues]))


def test_max_form_searches_by_index():
    text = source(*MAX_CASES[0])
    assert "best_s = best" in text and "_last = i if _e" in text
    assert "_saved_best" not in text.replace("_saved_best_s", "")   # no best per step
    reverse = text[text.index("# -- reverse sweep"):]
    assert not [ln for ln in reverse.splitlines() if ln.strip().startswith("for i in")]


def test_max_with_the_value_first_is_left_as_it_was():
    assert "_win" not in source(*MAX_CASES[3])
    x = np.array([0.5, 0.2, np.nan])
    v, dx = sd.value_and_grad(max_value_first, target="python")(x)
    assert np.isnan(v) and np.isnan(max_value_first(x))
    assert np.array_equal(dx, [0.0, 0.0, 2.0])         # the NaN is the value


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_max_of_a_number_and_nan_is_the_number(target):
    # Python's (and Numba's) max(x, nan) is x, min(x, nan) too: the derivative is 1
    def f(x, y):
        return 2.0 * max(x, y) + 3.0 * min(x, y)
    _, (dx, dy) = sd.value_and_grad(f, wrt=(0, 1), target=target)(0.3, np.nan)
    assert (dx, dy) == (5.0, 0.0)
    _, (dx, dy) = sd.value_and_grad(f, wrt=(0, 1), target=target)(np.nan, 0.3)
    assert (dx, dy) == (5.0, 0.0)                      # max(nan, y) is the NaN x
    assert sd.jvp(f, wrt=(0, 1), target=target)(0.3, np.nan, (1.0, 1.0))[1] == 5.0


# --- the number rules of max/min (rules/mathfuncs.py, numpyfuncs.py): the share is
# picked from the values, the loser gets 0.0 even where the adjoint is infinite

def truncated_roots(v, w):
    """``math.sqrt(max(v, 0.0))`` where ``v < 0``: an infinite adjoint reaches
    ``max``; the operand that lost (``v``) gets 0, not inf * 0 = NaN."""
    return math.sqrt(max(v, 0.0)) + math.sqrt(-min(v, 0.0) + 0.0 * w) + \
        math.sqrt(np.maximum(w, 0.0)) + math.sqrt(-np.minimum(w, 0.0))


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_the_loser_of_max_gets_zero_under_an_infinite_adjoint(target):
    _, (dv, dw) = sd.value_and_grad(truncated_roots, wrt=(0, 1), target=target)(-0.5, 0.0)
    assert not math.isnan(dv) and not math.isnan(dw)
    assert dv == pytest.approx(-0.5 / math.sqrt(0.5))


def dtw(x, y, w):
    """Dynamic time warping: a table whose adjoint runs through ``min`` of three."""
    n, m = x.shape[0], y.shape[0]
    D = np.full((n + 1, m + 1), 1e30)
    D[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            c = (x[i - 1] - w * y[j - 1]) ** 2
            D[i, j] = c + min(D[i - 1, j], D[i, j - 1], D[i - 1, j - 1])
    return D[n, m]


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_dtw_through_min_of_three(target):
    x = np.array([0.0, 1.0, 1.5, 0.2, -0.3])
    y = np.array([0.1, 0.9, 1.6, 0.0])
    check_grad(dtw, (x, y, 0.8), wrt=(0, 1, 2), target=target)
    # equal paths: the table's ties share the adjoint (w = 1 makes the costs equal)
    xs = np.array([0.0, 1.0, 1.0, 0.0])
    _, (dx, dy, dw) = sd.value_and_grad(dtw, wrt=(0, 1, 2), target=target)(xs, xs.copy(), 1.0)
    assert dw == 0.0 and not dx.any() and not dy.any()
