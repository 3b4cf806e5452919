"""Loops over arrays, tuples, ``enumerate``, ``zip`` and ``reversed``, and sums
and arrays of comprehensions, as users write them (passes/normalize.py lowers each to an index loop;
tests/core/test_iteration.py).  Each comes with the same math written with
``range`` indices, which must give the same value and gradient."""
from __future__ import annotations

import math

import numpy as np
import numpy as xp


def elements(x):
    s = 0.0
    for v in x:
        s += v * v * v
    return s


def elements_indexed(x):
    s = 0.0
    for i in range(len(x)):
        s += x[i] * x[i] * x[i]
    return s


def rows(X, w):
    s = 0.0
    for row in X:
        s += np.sum(np.tanh(row * w))
    return s


def rows_indexed(X, w):
    s = 0.0
    for i in range(X.shape[0]):
        s += np.sum(np.tanh(X[i] * w))
    return s


def counted_from_one(x):
    s = 0.0
    for k, v in enumerate(x, 1):
        s += v * v / k
    return s


def counted_from_one_indexed(x):
    s = 0.0
    for i in range(len(x)):
        s += x[i] * x[i] / (i + 1)
    return s


def rows_with_their_index(X, W):
    s = 0.0
    for i, row in enumerate(X):
        s += np.dot(row, W[i]) ** 2
    return s


def rows_with_their_index_indexed(X, W):
    s = 0.0
    for i in range(X.shape[0]):
        s += np.dot(X[i], W[i]) ** 2
    return s


def neighbours(x):
    s = 0.0
    for a, b in zip(x[1:], x[:-1]):
        s += (a - b * b) ** 2
    return s


def neighbours_indexed(x):
    s = 0.0
    for i in range(len(x) - 1):
        s += (x[i + 1] - x[i] * x[i]) ** 2
    return s


def shorter_wins(x, w):
    """zip stops at the shorter sequence (w has fewer elements than x)."""
    s = 0.0
    for a, b in zip(x, w):
        s += np.sin(a) * b
    return s


def shorter_wins_indexed(x, w):
    s = 0.0
    for i in range(min(len(x), len(w))):
        s += np.sin(x[i]) * w[i]
    return s


def counted_pairs(x, w):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, w)):
        s += i * a * b + a * a
    return s


def counted_pairs_indexed(x, w):
    s = 0.0
    for i in range(min(len(x), len(w))):
        s += i * x[i] * w[i] + x[i] * x[i]
    return s


def horner(coef, t):
    """Highest coefficient last: p(t) = sum_k coef[k] t**k."""
    p = 0.0
    for c in reversed(coef):
        p = p * t + c
    return p


def horner_indexed(coef, t):
    p = 0.0
    for k in range(len(coef) - 1, -1, -1):
        p = p * t + coef[k]
    return p


def backwards(x, lo):
    s = 0.0
    for i in reversed(range(lo, len(x))):
        s = 0.5 * s + x[i] * x[i]
    for i in reversed(range(1, len(x), 2)):
        s = 0.9 * s + x[i]
    for i in reversed(range(len(x) - 1, 0, -3)):
        s = s * x[i]
    return s


def backwards_indexed(x, lo):
    s = 0.0
    for i in range(len(x) - 1, lo - 1, -1):
        s = 0.5 * s + x[i] * x[i]
    for i in range(1 + (len(x) - 2) // 2 * 2, 0, -2):
        s = 0.9 * s + x[i]
    for i in range(len(x) - 1 - (len(x) - 2) // 3 * 3, len(x), 3):
        s = s * x[i]
    return s


def weighted_params(p, x):
    """zip of a tuple of floats with an array."""
    s = 0.0
    for a, v in zip(p, x):
        s += a * np.exp(v)
    return s


def weighted_params_indexed(p, x):
    s = 0.0
    for i in range(min(len(p), len(x))):
        s += p[i] * np.exp(x[i])
    return s


def rebound_inside(x):
    """The loop runs over the array it started with, as in Python."""
    s = 0.0
    for v in x:
        x = x * 0.5
        s += v * x[0]
    return s


def rebound_inside_indexed(x):
    s = 0.0
    x0 = x
    for i in range(len(x0)):
        x = x * 0.5
        s += x0[i] * x[0]
    return s


def written_while_iterated(y0):
    """Each element is read when the loop reaches it, after earlier
    iterations wrote into it (as NumPy's iterator does)."""
    y = y0.copy()
    for k, v in enumerate(y):
        if k + 1 < len(y):
            y[k + 1] += 0.5 * v * v
    return np.sum(y)


def written_while_iterated_indexed(y0):
    y = y0.copy()
    for k in range(len(y)):
        if k + 1 < len(y):
            y[k + 1] += 0.5 * y[k] * y[k]
    return np.sum(y)


def nested_rows(X):
    s = 0.0
    for row in X:
        for v in row:
            s += np.cos(v) * v
    return s


def nested_rows_indexed(X):
    s = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            s += np.cos(X[i, j]) * X[i, j]
    return s


def left_early(x, cap):
    s = 0.0
    for i, v in enumerate(x):
        if s > cap:
            break
        s += v * v * (i + 1)
    return s


def left_early_indexed(x, cap):
    s = 0.0
    for i in range(len(x)):
        if s > cap:
            break
        s += x[i] * x[i] * (i + 1)
    return s


def squares_summed(x):
    return sum(x[i] ** 2 for i in range(len(x)))


def squares_summed_indexed(x):
    s = 0.0
    for i in range(len(x)):
        s += x[i] ** 2
    return s


def products_summed(x, w):
    return 0.5 * sum([a * b for a, b in zip(x, w)])


def products_summed_indexed(x, w):
    s = 0.0
    for i in range(min(len(x), len(w))):
        s += x[i] * w[i]
    return 0.5 * s


def filtered_sums(x):
    s = sum(v * v for v in x if v > 0.5)
    return s + sum((math.sin(v) for v in x), 0.5 * s)


def filtered_sums_indexed(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0.5:
            s += x[i] * x[i]
    t = 0.5 * s
    for i in range(len(x)):
        t += math.sin(x[i])
    return s + t


def rows_summed(X):
    return np.sum([np.tanh(row) for row in X])


def rows_summed_indexed(X):
    s = 0.0
    for i in range(X.shape[0]):
        s += np.sum(np.tanh(X[i]))
    return s


def array_of_products(x):
    """An array built from a comprehension (NumPy under another alias)."""
    y = xp.array([x[i] * x[i - 1] for i in range(1, len(x))])
    return np.sum(y * y)


def array_of_products_indexed(x):
    y = np.empty(len(x) - 1)
    for i in range(1, len(x)):
        y[i - 1] = x[i] * x[i - 1]
    return np.sum(y * y)


def own_variable(x):
    """The comprehension's i is not the function's i."""
    i = 3
    s = sum(x[i] for i in range(2))
    return s * x[i]


def own_variable_indexed(x):
    s = x[0] + x[1]
    return s * x[3]


def sum_per_row(X, w):
    s = 0.0
    for k in range(X.shape[0]):
        s += sum(X[k, j] * w[j] for j in range(X.shape[1])) ** 2
    return s


def sum_per_row_indexed(X, w):
    s = 0.0
    for k in range(X.shape[0]):
        t = 0.0
        for j in range(X.shape[1]):
            t += X[k, j] * w[j]
        s += t ** 2
    return s


def ranges_zipped(x):
    s = 0.0
    for i, j in zip(range(1, len(x), 2), range(len(x))):
        s += x[i] * x[j]
    for k, i in enumerate(range(len(x) - 1, 0, -2)):
        s += k * x[i]
    return s


def ranges_zipped_indexed(x):
    s = 0.0
    for j in range(len(x) // 2):
        s += x[1 + 2 * j] * x[j]
    for i in range(len(x) - 1, 0, -2):
        s += (len(x) - 1 - i) // 2 * x[i]
    return s


def largest_and_smallest(x):
    return max(v * v for v in x) + min([math.cos(v) for v in x if v > 0.3]) + \
        np.max([v for v in x])


def largest_and_smallest_indexed(x):
    a = -np.inf
    b = np.inf
    for i in range(len(x)):
        a = max(a, x[i] * x[i])
        if x[i] > 0.3:
            b = min(b, math.cos(x[i]))
    return a + b + np.max(x)


def means(x, X):
    return np.mean([v * v for v in x if v > 0.5]) + np.mean([np.sum(r * r) for r in X])


def means_indexed(x, X):
    s = 0.0
    n = 0
    for i in range(len(x)):
        if x[i] > 0.5:
            s += x[i] * x[i]
            n += 1
    return s / n + np.sum(X * X) / X.shape[0]


def sum_with_a_start(X, z):
    """sum(..., start) of arrays: the start array is not written into."""
    t = sum((r * r for r in X), z)
    return np.sum(t * z) + np.sum(z)


def sum_with_a_start_indexed(X, z):
    t = z.copy()
    for i in range(X.shape[0]):
        t = t + X[i] * X[i]
    return np.sum(t * z) + np.sum(z)


def index_list_built(x):
    """np.array of a comprehension of range counters: integers, as NumPy makes them."""
    idx = np.array([2 * i + 1 for i in range(3)])
    return np.sum(x[idx] ** 2) + np.sum(x[np.array([k for k, v in enumerate(x)])])


def index_list_built_indexed(x):
    s = 0.0
    for i in range(3):
        s += x[2 * i + 1] ** 2
    return s + np.sum(x)


rng = np.random.default_rng(11)
_x = rng.uniform(0.3, 1.2, 7)
_w = rng.uniform(-1.0, 1.0, 5)
_X = rng.standard_normal((4, 3))
_W = rng.standard_normal((4, 3))
# (iterating form, indexed form, args, wrt)
PAIRS = [
    (elements, elements_indexed, (_x,), 0),
    (rows, rows_indexed, (_X, rng.standard_normal(3)), (0, 1)),
    (counted_from_one, counted_from_one_indexed, (_x,), 0),
    (rows_with_their_index, rows_with_their_index_indexed, (_X, _W), (0, 1)),
    (neighbours, neighbours_indexed, (_x,), 0),
    (shorter_wins, shorter_wins_indexed, (_x, _w), (0, 1)),
    (counted_pairs, counted_pairs_indexed, (_x, _w), (0, 1)),
    (horner, horner_indexed, (_w, 0.7), (0, 1)),
    (backwards, backwards_indexed, (_x, 2), 0),
    (weighted_params, weighted_params_indexed, ((0.5, -1.5, 2.0), _x), (0, 1)),
    (rebound_inside, rebound_inside_indexed, (_x,), 0),
    (written_while_iterated, written_while_iterated_indexed, (_x,), 0),
    (nested_rows, nested_rows_indexed, (_X,), 0),
    (left_early, left_early_indexed, (_x, 1.5), 0),
    (squares_summed, squares_summed_indexed, (_x,), 0),
    (products_summed, products_summed_indexed, (_x, _w), (0, 1)),
    (filtered_sums, filtered_sums_indexed, (_x,), 0),
    (rows_summed, rows_summed_indexed, (_X,), 0),
    (array_of_products, array_of_products_indexed, (_x,), 0),
    (own_variable, own_variable_indexed, (_x,), 0),
    (sum_per_row, sum_per_row_indexed, (_X, _W[0]), (0, 1)),
    (ranges_zipped, ranges_zipped_indexed, (_x,), 0),
    (largest_and_smallest, largest_and_smallest_indexed, (_x,), 0),
    (means, means_indexed, (_x, _X), (0, 1)),
    (sum_with_a_start, sum_with_a_start_indexed, (_X, _W[1]), (0, 1)),
    (index_list_built, index_list_built_indexed, (_x,), 0),
]
