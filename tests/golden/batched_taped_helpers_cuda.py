import math

import numpy as np


def relax(v, m):
    """Primal of 'relax' (normalized)."""
    # relax:118  y = v
    y = v
    # relax:119  k = 0
    k = 0
    # relax:120  while k < m:
    _k1 = k
    for k_v2 in range(_k1, m):
        # relax:121  y = math.sin(y) * 1.1 + 0.2
        _t2 = math.sin(y)
        _t3 = _t2 * 1.1
        y = _t3 + 0.2
    # relax:123  return y
    return y


def damp_steps(v, n):
    """Primal of 'damp_steps' (normalized)."""
    # damp_steps:130  y = v
    y = v
    # damp_steps:131  for i in range(n):
    for i in range(n):
        # damp_steps:132  y = y - 0.3 * math.sin(y) + 0.1 * relax(y, i)
        _t1 = math.sin(y)
        _t2 = 0.3 * _t1
        _t3 = y - _t2
        _t4 = relax(y, i)
        _t5 = 0.1 * _t4
        y = _t3 + _t5
    # damp_steps:133  return y
    return y


def relax_vjp(v, m, cotangent, _saved_y, tape_need):
    """Value and vector-Jacobian product of 'relax' with respect to v.

    Its tapes are preallocated arrays passed in by the caller; one too small for
    what this call saves returns zeros at once (the capacity it needs goes
    to tape_need)."""
    # -- forward sweep
    # relax:118  y = v
    y = v
    # relax:119  k = 0
    k = 0
    # relax:120  while k < m:
    if (max(m - k, 0) > _saved_y.shape[0]):
        tape_overflow(tape_need, 0, max(m - k, 0) - 1)
        return 0.0, (0.0,)
    for k_v2 in range(k, m):
        _saved_y[k_v2 - k] = y
        # relax:121  y = math.sin(y) * 1.1 + 0.2
        _t2 = math.sin(y)
        _t3 = _t2 * 1.1
        y = _t3 + 0.2
    # relax:123  return y
    value = y
    # -- reverse sweep
    # relax:116  def relax(v, m):
    dv = 0.0
    dy = cotangent
    # relax:120  while k < m:
    for k_v2 in range(m - 1, k - 1, -1):
        y = _saved_y[k_v2 - k]
        # relax:121  y = math.sin(y) * 1.1 + 0.2
        _dt2 = dy * 1.1
        dy = _dt2 * math.cos(y)
    # relax:118  y = v
    dv += dy
    # -- result
    # relax:123  return y
    return value, (dv,)


def damp_steps_vjp(v, n, cotangent, _saved_y, relax_vjp_saved_y, tape_need):
    """Value and vector-Jacobian product of 'damp_steps' with respect to v.

    Its tapes are preallocated arrays passed in by the caller; one too small for
    what this call saves returns zeros at once (the capacity it needs goes
    to tape_need)."""
    # -- forward sweep
    # damp_steps:130  y = v
    y = v
    # damp_steps:131  for i in range(n):
    if (max(n, 0) > _saved_y.shape[0]):
        tape_overflow(tape_need, 1, max(n, 0) - 1)
        return 0.0, (0.0,)
    for i in range(n):
        _saved_y[i] = y
        # damp_steps:132  y = y - 0.3 * math.sin(y) + 0.1 * relax(y, i)
        _t1 = math.sin(y)
        _t2 = 0.3 * _t1
        _t3 = y - _t2
        _t4 = relax(y, i)
        _t5 = 0.1 * _t4
        y = _t3 + _t5
    # damp_steps:133  return y
    value = y
    # -- reverse sweep
    # damp_steps:127  def damp_steps(v, n):
    dv = 0.0
    dy = cotangent
    # damp_steps:131  for i in range(n):
    for i in range(n - 1, -1, -1):
        y = _saved_y[i]
        # damp_steps:132  y = y - 0.3 * math.sin(y) + 0.1 * relax(y, i)
        _dt3 = dy
        _dt4 = dy * 0.1
        _dy2, = relax_vjp(y, i, _dt4, relax_vjp_saved_y, tape_need)[1]
        dy = _dy2
        dy += _dt3
        _dt2 = -_dt3
        _dt1 = _dt2 * 0.3
        dy += _dt1 * math.cos(y)
    # damp_steps:130  y = v
    dv += dy
    # -- result
    # damp_steps:133  return y
    return value, (dv,)


def calls_taped_helpers_grad_element(x, m, dx, relax_vjp_saved_y, damp_steps_vjp_saved_y, tape_need):
    """calls_taped_helpers_grad for one element of a batch, array gradients written into their rows, tapes in preallocated arrays.

    A tape too small for what this element saves returns zeros at once (a
    pop above its capacity, or a trip count larger than its capacity): the
    driver runs the batch again with the capacities reported in tape_need."""
    # -- forward sweep
    # calls_taped_helpers:138  s = 0.0
    s = 0.0
    # -- reverse sweep
    # calls_taped_helpers:136  def calls_taped_helpers(x, m):
    for _i0 in range(dx.shape[0]):
        dx[_i0] = 0.0
    ds = 1.0
    # -- last loop: forward and reverse iterations fused
    # calls_taped_helpers:139  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # calls_taped_helpers:140  s += damp_steps(x[i], m) * x[i]
        _t1 = x[i]
        _t2 = damp_steps(_t1, m)
        _t3 = x[i]
        _t4 = _t2 * _t3
        s += _t4
        _dt2 = ds * _t3
        _dt3 = ds * _t2
        _dt13, = damp_steps_vjp(_t1, m, _dt2, damp_steps_vjp_saved_y,
            relax_vjp_saved_y, tape_need)[1]
        d_t1 = _dt13
        dx[i] += _dt3 + d_t1
    # -- result
    # calls_taped_helpers:141  return s
    return s


from numba import cuda
from numba import types as nbtypes


# the builtin max(a, b) on scalars, which Numba's CUDA target cannot type
def max(a, b):
    return b if b > a else a


# tape_need is shared by all threads
def tape_overflow(need, k, top):
    cuda.atomic.max(need, k, top + 1)


def calls_taped_helpers_grad_kernel(x, m, out_value, out_dx, workspace_0, workspace_1, tape_need):
    """calls_taped_helpers_grad_element for element cuda.grid(1) of the batch (one thread each)."""
    b = cuda.grid(1)
    if b < out_value.shape[0]:
        # this thread's tapes: its column of the global workspace
        relax_vjp_saved_y = workspace_0[:, b]
        damp_steps_vjp_saved_y = workspace_1[:, b]
        out_value[b] = calls_taped_helpers_grad_element(x[b], m[b], out_dx[b], relax_vjp_saved_y, damp_steps_vjp_saved_y, tape_need)
