import math

import numpy as np


def scratch_array(x, w):
    """Primal of 'scratch_array' (normalized)."""
    # scratch_array:43  n = x.shape[0]
    _t1 = x.shape
    n = _t1[0]
    # scratch_array:44  u = np.zeros(n)
    u = np.zeros(n)
    # scratch_array:45  s = 0.0
    s = 0.0
    # scratch_array:46  for t in range(3):
    for t in range(3):
        # scratch_array:47  for i in range(n):
        for i in range(n):
            # scratch_array:48  u[i] = math.tanh(w * x[i] + u[i])
            _t2 = x[i]
            _t3 = w * _t2
            _t4 = u[i]
            _t5 = _t3 + _t4
            _t6 = math.tanh(_t5)
            u[i] = _t6
        # scratch_array:49  s += np.sum(u * u)
        _t7 = u * u
        _t8 = np.sum(_t7)
        s += _t8
    # scratch_array:50  return s
    return s


def scratch_array_grad(x, w):
    """Value and gradient of 'scratch_array' with respect to x, w."""
    # Plan:
    #   stored: elements of 'u' before line 48 overwrites them, in _saved_u_items, allocated once (3 * max(n, 0) values)
    #   read back, not stored: 1 value of line 48, from the elements of 'u' they are stored into (before those are put back)
    #   recomputed in each reverse iteration of the loop at line 47: 1 value of line 48 (from the loop index and values the loop does not change)
    # -- forward sweep
    # scratch_array:43  n = x.shape[0]
    _t1 = x.shape
    n = _t1[0]
    # scratch_array:44  u = np.zeros(n)
    u = np.zeros(n)
    du = np.zeros_like(u)
    # scratch_array:45  s = 0.0
    s = 0.0
    # scratch_array:46  for t in range(3):
    _saved_u_items = np.empty((3, max(n, 0)), np.float64)
    for t in range(3):
        # scratch_array:47  for i in range(n):
        # 'u' saved in a loop of its own, before the loop that overwrites it
        for i in range(n):
            # scratch_array:48  u[i] = math.tanh(w * x[i] + u[i])
            _saved_u_items[t, i] = u[i]
        for i in range(n):
            # scratch_array:48  u[i] = math.tanh(w * x[i] + u[i])
            _t2 = x[i]
            _t3 = w * _t2
            _t4 = u[i]
            _t5 = _t3 + _t4
            _t6 = math.tanh(_t5)
            u[i] = _t6
        # scratch_array:49  s += np.sum(u * u)
        _t7 = u * u
        _t8 = np.sum(_t7)
        s += _t8
    # -- reverse sweep
    # scratch_array:42  def scratch_array(x, w):
    dw = 0.0
    dx = np.zeros_like(x)
    ds = 1.0
    # scratch_array:46  for t in range(3):
    for t in range(2, -1, -1):
        # scratch_array:49  s += np.sum(u * u)
        du += ds * 2.0 * u
        # scratch_array:47  for i in range(n):
        dw_i = 0.0
        for i in range(n):
            # scratch_array:48  u[i] = math.tanh(w * x[i] + u[i])
            _t2 = x[i]
            _dt6 = du[i]
            _t6 = u[i]
            _dt5 = _dt6 * (1.0 - _t6 * _t6)
            du[i] = _dt5
            dw_i += _dt5 * _t2
            _dt2 = _dt5 * w
            dx[i] += _dt2
        dw += dw_i
        # 'u' put back after the loop above (which then vectorizes)
        for i in range(n):
            # scratch_array:48  u[i] = math.tanh(w * x[i] + u[i])
            u[i] = _saved_u_items[t, i]
    # -- result
    # scratch_array:50  return s
    return s, (dx, dw)
