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


# -- the tangents of the helpers above (second derivatives: sd.hessian, sd.hvp) --------
# Inside the knots, a point's fraction ``t = (v - xp[lo]) / w`` of its segment (width
# ``w``) moves by ``(v_dot - (1 - t) xp_dot[lo] - t xp_dot[hi]) / w``, and the slope ``s``
# by ``-s (xp_dot[hi] - xp_dot[lo]) / w``; outside them, or on a segment of no width,
# neither moves.  The helpers are linear in ``fp`` and in the adjoint ``g``: those
# tangents are the helpers themselves, of ``fp_dot`` and ``g_dot``.
@jitable
def fraction_moved(v, xp, v_dot, xp_dot):
    """``(lo, hi, t, s_over_w, t_dot)``: the segment of ``v``, its fraction, ``on / w``,
    and the fraction's tangent (``xp_dot`` None: the knots stay)."""
    lo, hi, t, on = segment_of(v, xp)
    if on == 0.0:
        return lo, hi, t, 0.0, 0.0
    w = xp[hi] - xp[lo]
    moved = v_dot
    if xp_dot is not None:
        moved = moved - (1.0 - t) * xp_dot[lo] - t * xp_dot[hi]
    return lo, hi, t, 1.0 / w, moved / w


@runtime_helper(jit=True, of="np.interp")
def interp_slope_knots_jvp_at(v, xp, fp, xp_dot):
    """The tangent of ``interp_slope_at(v, xp, fp)`` for a tangent ``xp_dot`` of the knots."""
    lo, hi, _, per_w, _ = fraction_moved(v, xp, 0.0, None)
    return -(fp[hi] - fp[lo]) * per_w * per_w * (xp_dot[hi] - xp_dot[lo])


@runtime_helper(jit=True, of="np.interp")
def interp_slopes_knots_jvp(x, xp, fp, xp_dot):
    out = np.empty(x.shape[0])
    for k in range(x.shape[0]):
        out[k] = interp_slope_knots_jvp_at(x[k], xp, fp, xp_dot)
    return out


@jitable
def add_values_vjp_moved(out, v, xp, g, v_dot, xp_dot):
    # out[lo] += g (1 - t), out[hi] += g t: the fraction's tangent moves g between them
    lo, hi, _, _, t_dot = fraction_moved(v, xp, v_dot, xp_dot)
    out[lo] -= g * t_dot
    out[hi] += g * t_dot


@runtime_helper(jit=True, of="np.interp")
def interp_values_vjp_moved_at(v, xp, g, n, v_dot):
    """The tangent of ``interp_values_vjp_at(v, xp, g, n)`` for a tangent ``v_dot`` of
    the point."""
    out = np.zeros(n)
    add_values_vjp_moved(out, v, xp, g, v_dot, None)
    return out


@runtime_helper(jit=True, of="np.interp")
def interp_values_vjp_moved(x, xp, g, n, x_dot):
    out = np.zeros(n)
    for k in range(x.shape[0]):
        add_values_vjp_moved(out, x[k], xp, g[k], x_dot[k], None)
    return out


@runtime_helper(jit=True, of="np.interp")
def interp_values_vjp_knots_at(v, xp, g, n, xp_dot):
    """The tangent of ``interp_values_vjp_at(v, xp, g, n)`` for a tangent ``xp_dot`` of
    the knots."""
    out = np.zeros(n)
    add_values_vjp_moved(out, v, xp, g, 0.0, xp_dot)
    return out


@runtime_helper(jit=True, of="np.interp")
def interp_values_vjp_knots(x, xp, g, n, xp_dot):
    out = np.zeros(n)
    for k in range(x.shape[0]):
        add_values_vjp_moved(out, x[k], xp, g[k], 0.0, xp_dot)
    return out


@jitable
def add_knots_vjp_moved(out, v, xp, fp, g, v_dot, xp_dot):
    # out[lo] += g s (t - 1), out[hi] -= g s t, with s and t both moving
    lo, hi, t, per_w, t_dot = fraction_moved(v, xp, v_dot, xp_dot)
    if per_w == 0.0:
        return
    s = (fp[hi] - fp[lo]) * per_w
    s_dot = 0.0
    if xp_dot is not None:
        s_dot = -s * per_w * (xp_dot[hi] - xp_dot[lo])
    out[lo] += g * (s_dot * (t - 1.0) + s * t_dot)
    out[hi] -= g * (s_dot * t + s * t_dot)


@runtime_helper(jit=True, of="np.interp")
def interp_knots_vjp_moved_at(v, xp, fp, g, v_dot):
    """The tangent of ``interp_knots_vjp_at(v, xp, fp, g)`` for a tangent ``v_dot`` of
    the point."""
    out = np.zeros(xp.shape[0])
    add_knots_vjp_moved(out, v, xp, fp, g, v_dot, None)
    return out


@runtime_helper(jit=True, of="np.interp")
def interp_knots_vjp_moved(x, xp, fp, g, x_dot):
    out = np.zeros(xp.shape[0])
    for k in range(x.shape[0]):
        add_knots_vjp_moved(out, x[k], xp, fp, g[k], x_dot[k], None)
    return out


@runtime_helper(jit=True, of="np.interp")
def interp_knots_vjp_knots_at(v, xp, fp, g, xp_dot):
    """The tangent of ``interp_knots_vjp_at(v, xp, fp, g)`` for a tangent ``xp_dot`` of
    the knots."""
    out = np.zeros(xp.shape[0])
    add_knots_vjp_moved(out, v, xp, fp, g, 0.0, xp_dot)
    return out


@runtime_helper(jit=True, of="np.interp")
def interp_knots_vjp_knots(x, xp, fp, g, xp_dot):
    out = np.zeros(xp.shape[0])
    for k in range(x.shape[0]):
        add_knots_vjp_moved(out, x[k], xp, fp, g[k], 0.0, xp_dot)
    return out
