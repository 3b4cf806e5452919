"""A grid padded with ghost cells by a helper each step (``g = np.empty((n + 2,
m + 2))``, the grid and its wrapped edges stored into it, the Laplacian read
from ``g[2:, 1:-1] + g[:-2, 1:-1] + ...``) runs as element loops: the shape
analysis knows ``n + 2`` cut by ``2:`` is ``n`` again (``shapes.grown_key``),
so the rows of ``g`` and of the grid are of one length.  Gradients against
central differences on both targets, the lengths' keys, and the generated code."""
from __future__ import annotations

import numba
import numpy as np
import pytest

import sourcediff as sd
from sourcediff.passes.shapes import grown_key
from tests.fdcheck import check_grad


@numba.njit
def lap_ghost(z):
    n = z.shape[0]
    m = z.shape[1]
    g = np.empty((n + 2, m + 2))
    g[1:-1, 1:-1] = z
    g[0, 1:-1] = z[-1, :]
    g[-1, 1:-1] = z[0, :]
    g[1:-1, 0] = z[:, -1]
    g[1:-1, -1] = z[:, 0]
    return g[2:, 1:-1] + g[:-2, 1:-1] + g[1:-1, 2:] + g[1:-1, :-2] - 4.0 * z


def fitzhugh_nagumo(u0, v0, a, steps):
    u = u0
    v = v0
    for t in range(steps):
        du = lap_ghost(u) + u - u ** 3 / 3.0 - v
        dv = 0.5 * lap_ghost(v) + 0.08 * (u + a - 0.8 * v)
        u = u + 0.05 * du
        v = v + 0.05 * dv
    return np.sum((u - 0.2) ** 2 + u * v)


rng = np.random.default_rng(23)
ARGS = (rng.standard_normal((5, 7)) * 0.5, rng.standard_normal((5, 7)) * 0.2, 0.7, 3)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_ghost_cell_steps(target):
    value, _ = sd.value_and_grad(fitzhugh_nagumo, wrt=(0, 1, 2), target=target)(*ARGS)
    assert value == pytest.approx(fitzhugh_nagumo(*ARGS), rel=1e-12)
    check_grad(fitzhugh_nagumo, ARGS, wrt=(0, 1, 2), target=target)


def test_ghost_cell_steps_run_as_element_loops():
    text = sd.value_and_grad(fitzhugh_nagumo, wrt=(0, 1, 2), target="python").source_for(*ARGS)
    code = text[text.index("_grad("):]
    forward = code[:code.index("# -- reverse sweep")]
    body = [ln.strip() for ln in forward.splitlines() if not ln.lstrip().startswith("#")]
    # the Laplacian read element by element, no array temporaries saved in lists
    assert any(ln.startswith("_t") and "= g[" in ln and "+ 2, " in ln for ln in body), forward
    assert not any(".append(_t" in ln for ln in body), forward


def test_grown_keys():
    n = "u0.shape[0]"
    assert grown_key(grown_key(n, 2), -2) == n                 # (n + 2)[2:]
    assert grown_key(grown_key(n, 2), -1) == ("grown", n, 1)
    assert grown_key(grown_key(n, -2), -1) == ("grown", n, -3)  # cuts add up
    # cut, then made longer: max(n - 2, 0) + 2 is n only where n >= 2
    assert grown_key(grown_key(n, -2), 2) == ("grown", ("grown", n, -2), 2)
    assert grown_key(5, -7) == 0 and grown_key(5, 2) == 7 and grown_key(None, 1) is None
