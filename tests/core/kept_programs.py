"""Loop programs whose scratch nests' state is kept, or not (passes/rerun.py ``_keep``)."""
from __future__ import annotations

import math

import numpy as np


def rows_fused(x, m, w):
    """GMM's shape with the point loop fused (its value is the loop's sum of
    logs): each (point, centre) keeps its two rows and its counter, a row per
    centre (the centre loop is not fused: the log needs its sum first)."""
    n, d = x.shape
    k = m.shape[0]
    diff = np.zeros(d)
    scaled = np.zeros(d)
    total = 0.0
    for i in range(n):
        s = 0.0
        for c in range(k):
            for j in range(d):
                diff[j] = x[i, j] - m[c, j]
                scaled[j] = w[c] * diff[j]
            entry = 0
            for j in range(d):
                for r in range(j + 1, d):
                    scaled[r] += w[(c + entry) % k] * diff[j]
                    entry += 1
            q = 0.0
            for j in range(d):
                q += scaled[j] * scaled[j]
            s += math.exp(-0.1 * q)
        total += math.log(s)
    return total


def read_after_nests(x, m, w):
    """What the nests leave is read by statements after them: an element of a
    kept row, the counter, and a number the triangular nest sums (the point
    loop fused, as in ``rows_fused``)."""
    n, d = x.shape
    k = m.shape[0]
    diff = np.zeros(d)
    scaled = np.zeros(d)
    out = 0.0
    for i in range(n):
        s = 0.0
        for c in range(k):
            for j in range(d):
                diff[j] = math.sin(x[i, j] - m[c, j])
                scaled[j] = w[c] * diff[j]
            entry = 0
            total = 0.0
            for j in range(d):
                for r in range(j + 1, d):
                    scaled[r] += w[(c + entry) % k] * diff[j]
                    total += diff[j] * diff[r]
                    entry += 1
            last = scaled[d - 1] * diff[0]
            s += last * last + 0.01 * entry * total + math.cos(total)
        out += math.log(s)
    return out


def scratch_rows_unfused(x, m, w):
    """``rows_fused`` squared: the point loop's reverse needs the whole sum first."""
    n, d = x.shape
    k = m.shape[0]
    diff = np.zeros(d)
    scaled = np.zeros(d)
    total = 0.0
    for i in range(n):
        for c in range(k):
            for j in range(d):
                diff[j] = x[i, j] - m[c, j]
                scaled[j] = w[c] * diff[j]
            for j in range(d):
                for r in range(j + 1, d):
                    scaled[r] += w[(c + r) % k] * diff[j]
            q = 0.0
            for j in range(d):
                q += scaled[j] * scaled[j]
            total += math.exp(-0.1 * q)
    return total * total


def cheap_row(x, m):
    """A nest too cheap to keep: one subtraction per element is re-run."""
    n, d = x.shape
    k = m.shape[0]
    diff = np.zeros(d)
    s = 0.0
    for i in range(n):
        for c in range(k):
            for j in range(d):
                diff[j] = x[i, j] - m[c, j]
            q = 0.0
            for j in range(d):
                q += diff[j] * diff[j]
            s += math.exp(-q)
    return s * s


def rows_in_while(x, m, w, rounds):
    """The centre loop inside a ``while`` loop: no slot per iteration is known
    before it runs, so the nests are re-run, not kept."""
    n, d = x.shape
    k = m.shape[0]
    diff = np.zeros(d)
    scaled = np.zeros(d)
    s = 0.0
    it = 0
    while it < rounds:
        for c in range(k):
            for j in range(d):
                diff[j] = x[it % n, j] - m[c, j]
                scaled[j] = w[c] * diff[j]
            for j in range(d):
                for r in range(j + 1, d):
                    scaled[r] += w[(c + r) % k] * diff[j]
            q = 0.0
            for j in range(d):
                q += scaled[j] * scaled[j]
            s += math.exp(-0.1 * q)
        it += 1
    return s * s
