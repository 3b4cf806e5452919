"""A buffer a helper fills without reading what it holds is passed to the
helper's VJP for its shape only (passes/argument_values.py): the caller keeps
none of the values it overwrites in the buffer afterwards.  Found by a new
user: an N-body integrator whose force helper zeroes and fills ``acc`` kept
every element the pair loop touched, once per pair and step, for the VJP of
the first call before the loop."""
from __future__ import annotations

import ast
import math

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.passes.argument_values import incoming_values_unread
from tests.fdcheck import check_grad


def forces(pos, mass, acc, eps2):
    n = pos.shape[0]
    for i in range(n):
        acc[i, 0] = 0.0
        acc[i, 1] = 0.0
        acc[i, 2] = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            dx = pos[j, 0] - pos[i, 0]
            dy = pos[j, 1] - pos[i, 1]
            dz = pos[j, 2] - pos[i, 2]
            r2 = dx * dx + dy * dy + dz * dz + eps2
            inv = 1.0 / (r2 * math.sqrt(r2))
            acc[i, 0] += mass[j] * dx * inv
            acc[i, 1] += mass[j] * dy * inv
            acc[i, 2] += mass[j] * dz * inv
            acc[j, 0] -= mass[i] * dx * inv
            acc[j, 1] -= mass[i] * dy * inv
            acc[j, 2] -= mass[i] * dz * inv
    return acc


def leapfrog(pos0, vel0, mass, dt, nsteps):
    # the first call stays a call (the one in the loop is inlined, which grows
    # the caller past what passes/inline.py inlines more of)
    n = pos0.shape[0]
    pos = pos0.copy()
    vel = vel0.copy()
    acc = np.zeros((n, 3))
    acc = forces(pos, mass, acc, 0.01)
    for step in range(nsteps):
        for i in range(n):
            for d in range(3):
                vel[i, d] += 0.5 * dt * acc[i, d]
                pos[i, d] += dt * vel[i, d]
        acc = forces(pos, mass, acc, 0.01)
        for i in range(n):
            for d in range(3):
                vel[i, d] += 0.5 * dt * acc[i, d]
    e = 0.0
    for i in range(n):
        e += mass[i] * (vel[i, 0] ** 2 + vel[i, 1] ** 2) + pos[i, 0] * pos[i, 2]
    return e


def scaled(acc, v):
    # reads what the buffer holds (a product by it): its values are needed
    for i in range(acc.shape[0]):
        acc[i] = acc[i] * v[i]
    return acc


def scales_twice(v, w):
    acc = w.copy()
    acc = scaled(acc, v)
    for i in range(acc.shape[0]):
        acc[i] = acc[i] * acc[i] + v[i]
    acc = scaled(acc, v)
    return np.sum(acc * acc)


rng = np.random.default_rng(5)
ARGS = (rng.standard_normal((4, 3)), 0.1 * rng.standard_normal((4, 3)),
        rng.uniform(0.5, 1.5, 4), 0.01, 3)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_filled_buffer_gradient(target):
    check_grad(leapfrog, ARGS, wrt=(0, 1, 2), target=target)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_buffer_whose_values_are_read_gradient(target):
    check_grad(scales_twice, (rng.standard_normal(5), rng.standard_normal(5)), wrt=(0, 1),
               target=target)


def _plan(f, args, wrt):
    text = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    adjoint = text[text.index(f"def {f.__name__}_grad("):]
    return adjoint[adjoint.index("# Plan:"):adjoint.index("# -- ")]


def test_no_element_of_a_filled_buffer_is_kept():
    text = sd.value_and_grad(leapfrog, wrt=(0, 1, 2), target="python").source_for(*ARGS)
    assert "forces_written_vjp(pos, mass, acc, " in text       # the first call's VJP
    plan = _plan(leapfrog, ARGS, (0, 1, 2))
    assert "elements of 'acc'" not in plan, plan
    assert "elements of 'pos'" in plan, plan        # what the forces read: kept


def test_a_buffer_whose_values_are_read_is_put_back():
    # scaled's VJP reads what acc holds at its second call: the caller keeps the
    # elements the loop between the calls overwrites
    plan = _plan(scales_twice, (np.ones(5), np.ones(5)), (0, 1))
    assert "elements of 'acc'" in plan, plan


def _unread(src, param):
    return incoming_values_unread(ast.parse(src).body[0], param)


def test_stores_sums_shapes_and_the_returned_value_read_nothing():
    assert _unread("def g(pos, acc):\n"
                   "    for i in range(acc.shape[0]):\n"
                   "        acc[i, 0] = 0.0\n"
                   "    d = np.zeros_like(acc)\n"
                   "    for i in range(3):\n"
                   "        acc[i, 0] += pos[i] * 2\n"
                   "        acc[i, 1] -= pos[i]\n"
                   "    w = (acc, d)\n"
                   "    return w\n", "acc")
    # the copy a written argument starts from (passes/normalize.py)
    assert _unread("def g(pos, acc):\n"
                   "    _copy3 = acc.copy()\n"
                   "    acc = _copy3\n"
                   "    acc[0] = pos[0]\n"
                   "    return acc\n", "acc")


@pytest.mark.parametrize("body", [
    "    acc[0] += acc[1]\n    return acc\n",           # a sum reading another element
    "    acc[0] *= 2.0\n    return acc\n",              # a product reads the element
    "    s = acc[0]\n    return s\n",                  # read into a number
    "    h(acc)\n    return pos\n",                    # passed on
    "    acc[int(pos[0])] += 1.0\n    acc = pos\n    return acc\n",   # re-bound
    "    w = (acc, acc)\n    x = w\n    return w\n",    # the returned tuple read again
    "    acc[pos[0] > 0] = 1.0\n    b = acc.copy()\n    return b\n",   # copied, then read
])
def test_any_other_mention_reads(body):
    assert not _unread("def g(pos, acc):\n" + body, "acc")
