"""Fusion of the final loop decided from dependences, not from the syntax.

Each program is checked against finite differences on both targets, and the
generated code is checked to run fused (forward and reverse iterations
together, no tape) exactly when the reverse iterations are independent:
iteration-local temporaries (scalars or row arrays) and perfect loop nests
fuse; a value carried from one iteration to the next does not.
"""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from tests.core import in_place_programs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad

FUSED = "forward and reverse iterations fused"


def pairs(x, w):                 # a triangular nest, a temporary per pair
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(i):
            r = x[i] * w[j] - x[j]
            s += math.sin(r) * r
    return s


def rows(x, c, a):               # k-means: a row temporary, rows read-only
    s = 0.0
    for i in range(x.shape[0]):
        d = x[i] - c[a[i]]
        s += np.sum(d * d)
    return s


def stencil(x):                  # a perfect nest with a scalar temporary
    s = 0.0
    for i in range(1, x.shape[0] - 1):
        for j in range(1, x.shape[1] - 1):
            r = x[i - 1, j] + x[i + 1, j] + x[i, j - 1] + x[i, j + 1] - 4.0 * x[i, j]
            s += r * r
    return s


def carried(x):                  # s feeds the next iteration: not fusable
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            s = s * 0.5 + x[i, j] ** 2
    return s


def carried_product(x):          # t reads s, which earlier iterations changed
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            t = x[i, j] * s
            s += math.tanh(t) + x[i, j]
    return s


def bisection(yk, q, xk):       # lo/hi: indices whose final values the reverse reads
    s = 0.0
    for k in range(q.shape[0]):
        lo = 0
        hi = xk.shape[0] - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if xk[mid] <= q[k]:
                lo = mid
            else:
                hi = mid
        t = (q[k] - xk[lo]) / (xk[hi] - xk[lo])
        r = yk[lo] + t * (yk[hi] - yk[lo])
        s += r * r
    return s


def index_reused(x, w):          # j changes after an active read: still fused, j taped
    s = 0.0
    for k in range(x.shape[0]):
        j = 0
        s += x[j] * w * x[k]
        j = k
        s += x[j] * w
    return s


def inner_while(x, w):           # i is read by active statements inside the while
    s = 0.0
    for k in range(x.shape[0]):
        i = 0
        while i < 3:
            s += x[i] * w * x[k]
            i += 1
    return s


def loop_then_penalty(w, x, y):  # logistic loss: a penalty loop after, a branch inside
    loss = 0.0
    for i in range(x.shape[0]):
        m = y[i] * (x[i, 0] * w[0] + x[i, 1] * w[1])
        if m > 0.0:
            e = math.exp(-m)
            loss += math.log1p(e)
        else:
            loss += -m + math.log1p(math.exp(m))
    reg = 0.0
    for j in range(w.shape[0]):
        reg += w[j] * w[j]
    return loss / x.shape[0] + 0.3 * reg


def squared_tail(w, x):          # the tail reads the loop's value: its seed needs it
    s = 0.0
    for i in range(x.shape[0]):
        s += math.sin(x[i] * w[0])
    r = 0.0
    for j in range(w.shape[0]):
        r += w[j] * w[j]
    return s * s + r


def reads_first_loop(x):         # the second loop reads what the first writes
    y = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        y[i] = math.sin(x[i])
    s = 0.0
    for i in range(x.shape[0]):
        s += y[i] * x[i]
    return s


def element_carried(r0, n):      # r[0] carries from one iteration to the next:
    r = r0.copy()                # the reverse of ``r[0] += d`` reads dr[0],
    s = 0.0                      # which the reverse of the previous iteration adds to
    for g in range(n):
        d = 0.5 * r[0]
        s += d * d
        r[0] += d
    return s


def ratings(r0, home, away, won, k):     # Elo: ratings read, then updated in place
    r = r0.copy()
    s = 0.0
    for g in range(home.shape[0]):
        e = 1.0 / (1.0 + math.exp(r[away[g]] - r[home[g]]))
        delta = k * (won[g] - e)
        s += delta * delta
        r[home[g]] += delta
        r[away[g]] -= delta
    return s


# an array bound twice in each iteration: the reverse of the second binding starts
# the first value's adjoint at zero, fused or not (it once kept the second value's
# adjoint, fused: each step's ``+ a`` counted three times)
rebound_in_iteration = in_place_programs.first_bound_in_loop


RNG = np.random.default_rng(7)
XK = np.linspace(0.0, 1.0, 9)
CASES = [
    (pairs, (RNG.normal(size=5), RNG.normal(size=5)), (0, 1), True),
    (rows, (RNG.normal(size=(6, 3)), RNG.normal(size=(2, 3)), RNG.integers(0, 2, 6)), (0, 1),
     True),
    (stencil, (RNG.normal(size=(5, 6)),), 0, True),
    (carried, (RNG.normal(size=(3, 4)),), 0, False),
    (carried_product, (0.3 * RNG.normal(size=(3, 4)),), 0, False),
    (bisection, (np.sin(3.0 * XK), np.array([0.13, 0.52, 0.71, 0.99]), XK), (0, 1), True),
    (index_reused, (RNG.normal(size=4), 0.7), (0, 1), None),
    (inner_while, (RNG.normal(size=4), 0.7), (0, 1), None),
    (element_carried, (np.array([0.3, 0.2]), 3), 0, False),
    (rebound_in_iteration, (RNG.normal(size=4), 3), 0, True),
    (ratings, (RNG.normal(size=4), np.array([0, 1, 2, 0, 3, 1]), np.array([1, 2, 3, 2, 0, 3]),
               np.array([1.0, 0.0, 1.0, 0.5, 0.0, 1.0]), 0.3), (0, 4), None),
    (loop_then_penalty, (RNG.normal(size=2), RNG.normal(size=(6, 2)),
                         np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0])), 0, True),
    (squared_tail, (RNG.normal(size=3), RNG.normal(size=5)), 0, True),
    (reads_first_loop, (RNG.normal(size=5),), 0, True),
]


def plan_of(f, args, wrt) -> str:
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return text[text.index("# Plan:"):text.index("# -- ")]


def test_the_loop_with_most_work_runs_last_with_seeds_first():
    f, args, wrt, _ = CASES[-3]
    plan = plan_of(f, args, wrt)
    first = f.__code__.co_firstlineno
    assert f"fused: the loop at line {first + 2} " in plan
    assert f"moved: lines {first + 9}, {first + 10}, {first + 12} run before" in plan
    assert f"seeds first: the reverse of line {first + 12} runs before" in plan


def test_a_loop_whose_seed_needs_its_value_is_not_fused():
    f, args, wrt, _ = CASES[-2]
    plan = plan_of(f, args, wrt)
    first = f.__code__.co_firstlineno
    assert f"fused: the loop at line {first + 2} " not in plan
    assert f"fused: the loop at line {first + 5} " in plan     # the penalty loop instead


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f,args,wrt,fused", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient(f, args, wrt, fused, target):
    check_grad(f, args, wrt, target)


@pytest.mark.parametrize("f,args,wrt,fused", CASES, ids=[c[0].__name__ for c in CASES])
def test_fused_exactly_when_independent(f, args, wrt, fused):
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    if fused is None:            # either is right; the gradient test decides
        return
    assert (FUSED in text) == fused
    if fused:
        assert ".append(" not in text and ".pop()" not in text


def reassigned_after_read(x, a, n):   # the loop overwrites a parameter read before it
    s2 = math.sin(a)
    for i in range(n):
        a = 0.5 * math.exp(math.tanh(x[0]))
    return s2


def reassigned_with_a_tail(x, a, n):
    s0 = a
    s1 = 0.0
    s2 = math.sin(a)
    for i in range(n):
        a = 0.5 * math.exp(math.tanh(s1))
    return s0 + s1 + s2


@pytest.mark.parametrize("f", [reassigned_after_read, reassigned_with_a_tail],
                         ids=lambda f: f.__name__)
def test_a_fused_loop_keeps_the_tape_of_a_value_read_before_it(f):
    """Was a wrong gradient: fused, the loop dropped the save of ``a`` although
    the reverse of ``sin(a)``, which runs after it, needs a's old value."""
    check_grad(f, (np.array([0.3, 0.2]), 0.5013, 5), 1, "python")


def two_energies(x, k):          # two accumulation loops: both fused, seeds first
    n = x.shape[0]
    e1 = 0.0
    for i in range(n - 1):
        d = x[i + 1] - x[i]
        e1 += k * (d - 1.0) ** 2
    w = 0.5 * k
    e2 = 0.0
    for i in range(n - 2):
        a = x[i + 1] - x[i]
        b = x[i + 2] - x[i + 1]
        e2 += w * math.sin(a * b) ** 2 + math.exp(-a * a)
    return 2.0 * e1 - e2


def first_feeds_between(x, k):   # the second loop reads e1: the first stays unfused
    n = x.shape[0]
    e1 = 0.0
    for i in range(n - 1):
        e1 += k * (x[i + 1] - x[i]) ** 2
    e2 = 0.0
    for i in range(n - 2):
        a = x[i + 1] - x[i] + e1
        e2 += math.sin(a * x[i + 2]) ** 2 + math.exp(-a * a) * x[i]
    return e1 + e2


def product_of_energies(x, k):   # the seeds read e1: only one loop fused
    n = x.shape[0]
    e1 = 0.0
    for i in range(n - 1):
        e1 += k * (x[i + 1] - x[i]) ** 2
    e2 = 0.0
    for i in range(n - 2):
        a = x[i + 1] - x[i]
        e2 += math.sin(a * x[i + 2]) ** 2 + math.exp(-a * a) * x[i]
    return e1 * e2


COMPANION_CASES = [(two_energies, True), (first_feeds_between, False),
                   (product_of_energies, False)]


@pytest.mark.parametrize("f,companion", COMPANION_CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_other_loops_fused_before_the_last(f, companion):
    args = (RNG.normal(size=6), 0.7)
    check_grad(f, args, (0, 1), "python")
    plan = plan_of(f, args, (0, 1))
    first = f.__code__.co_firstlineno
    assert ("fused too: the loop at line " + str(first + 3)) in plan if companion else \
        "fused too" not in plan
    if companion:
        text = sd.grad(f, wrt=(0, 1), target="python").source_for(*args)
        assert ".append(" not in text and "_saved" not in text


def test_two_fused_loops_compiled():
    check_grad(two_energies, (RNG.normal(size=7), 0.7), (0, 1), "cpu")


def logsumexp_rows(X, w):        # fused rows; the inner running max is saved per row
    s = 0.0
    for i in range(X.shape[0]):
        m = -1e300
        for j in range(X.shape[1]):
            m = max(m, X[i, j] * w)
        t = 0.0
        for j in range(X.shape[1]):
            t += math.exp(X[i, j] * w - m)
        s += math.log(t) + m
    return s


def test_a_fused_loop_keeps_one_iteration_in_its_tapes():
    args = (RNG.normal(size=(4, 3)), 0.8)
    check_grad(logsumexp_rows, args, (0, 1), "python")
    plan = plan_of(logsumexp_rows, args, (0, 1))
    assert "fused: the loop at line" in plan
    rooms = [line for line in plan.splitlines() if "with room for" in line or "allocated once" in line]
    assert rooms and not any("X.shape[0]" in line for line in rooms), plan


def row_loop(X, C, a):           # k-means, scalar form: the row loop fuses too
    s = 0.0
    for i in range(X.shape[0]):
        c = a[i]
        for j in range(X.shape[1]):
            t = X[i, j] - C[c, j]
            s += t * t
    return s


def inner_carried(X, w):         # c carried from one inner iteration to the next
    s = 0.0
    for i in range(X.shape[0]):
        c = w[0] * X[i, 0]
        for j in range(1, X.shape[1]):
            c = math.sin(c + X[i, j] * w[j])
            s += c
    return s


def head_reads_inner(X, w):      # the head of the next row reads the last row's t
    s = 0.0
    t = 0.0
    for i in range(X.shape[0]):
        u = t * 0.5
        for j in range(X.shape[1]):
            t = X[i, j] * w[j] + u
            s += t * t
    return s


def row_sums(X, C, a):           # k-means, row form: the sum's seed comes first
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] - C[a[i]]
        s += np.sum(d * d)
    return s


def row_sums_squared(X, C, a):   # the seed of the row sum needs the sum: not fused inside
    s = 0.0
    for i in range(X.shape[0]):
        d = X[i] - C[a[i]]
        s += np.sum(d * d) ** 2
    return s


def branch_carried(x, w):        # a branch assigns t; the next iteration's head reads it
    s = 0.0
    t = 0.5
    for i in range(x.shape[0]):
        u = t * w[0]
        if x[i] > 0.0:
            t = x[i] * w[1] + u
            s += t * t
    return s


NESTED = [
    (row_loop, (RNG.normal(size=(6, 3)), RNG.normal(size=(2, 3)), RNG.integers(0, 2, 6)),
     (1,), True),
    (inner_carried, (RNG.normal(size=(4, 5)), RNG.normal(size=5)), (0, 1), False),
    (head_reads_inner, (RNG.normal(size=(4, 3)), RNG.normal(size=3)), (0, 1), False),
    (branch_carried, (np.array([0.3, -0.4, 0.8, 1.1, -0.2]), RNG.normal(size=2)), (0, 1), False),
    (row_sums, (RNG.normal(size=(6, 3)), RNG.normal(size=(2, 3)), RNG.integers(0, 2, 6)),
     (0, 1), True),
    (row_sums_squared, (RNG.normal(size=(6, 3)), RNG.normal(size=(2, 3)),
                        RNG.integers(0, 2, 6)), (0, 1), False),
]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f,args,wrt,inner", NESTED, ids=[c[0].__name__ for c in NESTED])
def test_nested_gradient(f, args, wrt, inner, target):
    check_grad(f, args, wrt, target)


@pytest.mark.parametrize("f,args,wrt,inner", NESTED, ids=[c[0].__name__ for c in NESTED])
def test_the_last_inner_loop_fuses_when_its_iterations_are_independent(f, args, wrt, inner):
    plan = plan_of(f, args, wrt)
    first = f.__code__.co_firstlineno
    assert ("fused inside it: the loop at line" in plan) == inner
    if f in (row_loop, head_reads_inner):
        assert (f"fused inside it: the loop at line {first + 4}, " in plan) == inner
    if inner:
        text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
        fused = text[text.index(f"def {f.__name__}_grad("):]
        rows = [ln for ln in fused.splitlines() if ln.strip().startswith("for j in range")]
        assert len(rows) == 1      # one row loop: forward and reverse


def row_logsumexp(X, w):         # a running sum per row: its old values are never read
    s = 0.0
    for i in range(X.shape[0]):
        total = 0.0
        for j in range(X.shape[1]):
            total += math.exp(X[i, j] * w[j])
        s += math.log(total)
    return s


def row_logsumexp_carried(X, w):     # the same, not fused (s carried non-linearly)
    s = 0.0
    for i in range(X.shape[0]):
        total = 0.0
        for j in range(X.shape[1]):
            total += math.exp(X[i, j] * w[j])
        s = math.sin(s) + math.log(total)
    return s


SUMS = [(row_logsumexp, (RNG.normal(size=(4, 3)), RNG.normal(size=3)), (0, 1)),
        (row_logsumexp_carried, (RNG.normal(size=(4, 3)), RNG.normal(size=3)), (0, 1))]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f,args,wrt", SUMS, ids=[c[0].__name__ for c in SUMS])
def test_running_sums_keep_no_tape(f, args, wrt, target):
    check_grad(f, args, wrt, target)
    plan = plan_of(f, args, wrt)
    inner = f.__code__.co_firstlineno + 4
    assert f"stored once per iteration of the loop at line {inner}" not in plan
    # fused, nothing of total is kept; not fused, its value at each row's end
    # (line first + 3 sets it afresh, read by the next row's log)
    assert ("'total'" in plan) == (f is row_logsumexp_carried)


def resumed_range(scale, x):
    # the inner loop starts where the last one left k, and k is moved on after it:
    # a fused reverse iteration re-running that loop would leave another k
    k = 0
    s = 0.0
    for t in range(3):
        for k in range(k, x.shape[0] - 2):  # noqa: B020 (resumed where it stopped)
            s += scale * x[k] * (t + 1.0)
        k = max(k, x.shape[0] - 2)
    return s


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_an_index_the_next_trip_reads_is_not_rebound_by_a_fused_reverse(target):
    x = np.array([0.4, -1.3, 0.8, 2.1, -0.2, 0.9, 1.7])
    value, _ = sd.value_and_grad(resumed_range, wrt=(0, 1), target=target)(0.8, x)
    assert value == pytest.approx(resumed_range(0.8, x), rel=1e-12)
    check_grad(resumed_range, (0.8, x), wrt=(0, 1), target=target)
