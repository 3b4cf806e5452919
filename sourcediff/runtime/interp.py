"""What the derivative rules of ``np.interp(x, xp, fp)`` call.

``np.interp`` is piecewise linear: at ``x`` inside ``[xp[0], xp[-1]]`` it is
``(1 - t) fp[lo] + t fp[hi]`` on the segment ``[xp[lo], xp[hi]]`` holding
``x`` (``t`` its fraction of the way along), and ``fp[0]`` or ``fp[-1]``
outside. At a knot the segment to its right counts (as JAX's ``jnp.interp``),
at ``xp[-1]`` the last one. Each helper takes ``x`` as a number or a 1-d array
(a helper for one point, ending ``_at``, and one looping over an array of them;
the rules pick by the type of ``x``; plain code, compiled by Numba as it is).
"""
from __future__ import annotations

import numpy as np

from .declare import jitable, runtime_helper


@jitable
def segment_of(v, xp):
    """``(lo, hi, t, slope_on)`` for one point ``v``: the value is
    ``(1 - t) fp[lo] + t fp[hi]``; ``slope_on`` is 1.0 where it moves with
    ``v`` (inside the knots, on a segment of non-zero width), else 0.0."""
    n = xp.shape[0]
    if n == 1 or v < xp[0]:
        return 0, 0, 0.0, 0.0
    if v > xp[n - 1]:
        return n - 1, n - 1, 0.0, 0.0
    hi = np.searchsorted(xp, v, side="right")
    hi = min(max(hi, 1), n - 1)
    lo = hi - 1
    width = xp[hi] - xp[lo]
    if width == 0.0:
        return lo, hi, 1.0, 0.0
    return lo, hi, (v - xp[lo]) / width, 1.0


@runtime_helper(jit=True, of="np.interp")
def interp_slope_at(v, xp, fp):
    """d np.interp(v, xp, fp) / dv (0 outside the knots)."""
    lo, hi, _, on = segment_of(v, xp)
    if on == 0.0:
        return 0.0
    return (fp[hi] - fp[lo]) / (xp[hi] - xp[lo])


@runtime_helper(jit=True, of="np.interp")
def interp_slopes(x, xp, fp):
    out = np.empty(x.shape[0])
    for k in range(x.shape[0]):
        out[k] = interp_slope_at(x[k], xp, fp)
    return out


@jitable
def add_values_vjp(out, v, xp, g):
    lo, hi, t, _ = segment_of(v, xp)
    out[lo] += g * (1.0 - t)
    out[hi] += g * t


@runtime_helper(jit=True, of="np.interp")
def interp_values_vjp_at(v, xp, g, n):
    """The adjoint of ``fp`` (length ``n``) for the adjoint ``g`` of the value at
    ``v``: shared between the ends of its segment."""
    out = np.zeros(n)
    add_values_vjp(out, v, xp, g)
    return out


@runtime_helper(jit=True, of="np.interp")
def interp_values_vjp(x, xp, g, n):
    out = np.zeros(n)
    for k in range(x.shape[0]):
        add_values_vjp(out, x[k], xp, g[k])
    return out


@jitable
def add_knots_vjp(out, v, xp, fp, g):
    lo, hi, t, on = segment_of(v, xp)
    if on != 0.0:
        slope = (fp[hi] - fp[lo]) / (xp[hi] - xp[lo])
        out[lo] += g * slope * (t - 1.0)
        out[hi] -= g * slope * t


@runtime_helper(jit=True, of="np.interp")
def interp_knots_vjp_at(v, xp, fp, g):
    """The adjoint of ``xp``: moving the ends of the segment holding ``v`` moves
    its value by ``slope (t - 1)`` (left end) and ``-slope t`` (right end)."""
    out = np.zeros(xp.shape[0])
    add_knots_vjp(out, v, xp, fp, g)
    return out


@runtime_helper(jit=True, of="np.interp")
def interp_knots_vjp(x, xp, fp, g):
    out = np.zeros(xp.shape[0])
    for k in range(x.shape[0]):
        add_knots_vjp(out, x[k], xp, fp, g[k])
    return out


@runtime_helper(jit=True, of="np.interp")
def interp_knots_jvp_at(v, xp, fp, xp_dot):
    """The tangent of the value at ``v`` for a tangent ``xp_dot`` of the knots."""
    lo, hi, t, on = segment_of(v, xp)
    if on == 0.0:
        return 0.0
    slope = (fp[hi] - fp[lo]) / (xp[hi] - xp[lo])
    return slope * ((t - 1.0) * xp_dot[lo] - t * xp_dot[hi])


@runtime_helper(jit=True, of="np.interp")
def interp_knots_jvp(x, xp, fp, xp_dot):
    out = np.empty(x.shape[0])
    for k in range(x.shape[0]):
        out[k] = interp_knots_jvp_at(x[k], xp, fp, xp_dot)
    return out
