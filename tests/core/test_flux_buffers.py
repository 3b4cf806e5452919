"""Fluxes of a finite-volume step, arrays one shorter than the state made of its
slices (``fh = 0.5 * (hu[:-1] + hu[1:]) - ...``) and read at shifted slices by the
update (``h[1:-1] -= dt / dx * (fh[1:] - fh[:-1])``): each flux is one buffer
filled by an element loop (its shape taken from a slice of the state), two fluxes
reading the same slices one loop, with nothing of the step on list tapes."""
import sys
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fdcheck import check_grad


def two_fluxes(h0, hu0, steps):
    h = h0.copy()
    hu = hu0.copy()
    for t in range(steps):
        fh = 0.5 * (hu[:-1] + hu[1:]) - (h[1:] - h[:-1])
        fq = 0.5 * (hu[:-1] * hu[1:]) - (hu[1:] - hu[:-1])
        h[1:-1] = h[1:-1] - 0.1 * (fh[1:] - fh[:-1])
        hu[1:-1] = hu[1:-1] - 0.1 * (fq[1:] - fq[:-1])
    return np.sum(h * h) + np.sum(hu * hu)


def shared_speed(h0, hu0, steps):
    h = h0.copy()
    hu = hu0.copy()
    for t in range(steps):
        a = 0.5 * (h[1:] + h[:-1])
        fh = 0.5 * (hu[:-1] + hu[1:]) - a * (h[1:] - h[:-1])
        fq = 0.5 * (hu[:-1] * hu[1:]) - a * (hu[1:] - hu[:-1])
        h[1:-1] = h[1:-1] - 0.1 * (fh[1:] - fh[:-1])
        hu[1:-1] = hu[1:-1] - 0.1 * (fq[1:] - fq[:-1])
    return np.sum(h * h) + np.sum(hu * hu)


def shallow_water(h0, hu0, g, dx, dt, steps, target):
    # Rusanov fluxes, reflecting ghost cells
    h = h0.copy()
    hu = hu0.copy()
    for t in range(steps):
        u = hu / h
        c = np.sqrt(g * h)
        F2 = hu * u + 0.5 * g * h * h
        a = np.maximum(np.abs(u[:-1]) + c[:-1], np.abs(u[1:]) + c[1:])
        fh = 0.5 * (hu[:-1] + hu[1:]) - 0.5 * a * (h[1:] - h[:-1])
        fq = 0.5 * (F2[:-1] + F2[1:]) - 0.5 * a * (hu[1:] - hu[:-1])
        h[1:-1] = h[1:-1] - dt / dx * (fh[1:] - fh[:-1])
        hu[1:-1] = hu[1:-1] - dt / dx * (fq[1:] - fq[:-1])
        h[0] = h[1]
        h[-1] = h[-2]
        hu[0] = -hu[1]
        hu[-1] = -hu[-2]
    d = h - target
    return np.sum(np.where(d > 0.0, d * d, 0.5 * d * d))


_r = np.random.default_rng(11)
_x = np.linspace(0.0, 1.0, 24)
_h = 1.0 + 0.3 * np.exp(-((_x - 0.4) / 0.15) ** 2)
CASES = [
    (two_fluxes, (np.linspace(1.0, 2.0, 24), 0.1 * _r.standard_normal(24), 3), (0, 1)),
    (shared_speed, (np.linspace(1.0, 2.0, 24), 0.1 * _r.standard_normal(24), 3), (0, 1)),
    (shallow_water, (_h, 0.05 * np.sin(2 * np.pi * _x), 9.81, 1.0 / 24, 0.2 / 24, 4,
                     1.0 + 0.05 * np.cos(3 * _x)), (0, 1, 2)),
]
IDS = [f.__name__ for f, _, _ in CASES]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f,args,wrt", CASES, ids=IDS)
def test_fluxes_have_the_gradient(f, args, wrt, target):
    value, _ = sd.value_and_grad(f, wrt=wrt, target=target)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    check_grad(f, args, wrt, target)


@pytest.mark.parametrize("f,args,wrt", CASES, ids=IDS)
def test_fluxes_are_element_loops_with_no_list_tapes(f, args, wrt):
    source = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    assert ".append(" not in source, source
    # the fluxes are buffers an element loop fills, their shape a slice's
    assert "fh = np.empty_like(_fh_shape)" in source, source
