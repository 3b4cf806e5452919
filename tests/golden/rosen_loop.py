import math

import numpy as np


def rosen_loop(x):
    """Primal of 'rosen_loop' (normalized)."""
    # rosen_loop:8  s = 0.0
    s = 0.0
    # rosen_loop:9  for i in range(x.shape[0] - 1):
    for i in range(x.shape[0] - 1):
        # rosen_loop:10  s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
        _t1 = x[i + 1]
        _t2 = x[i]
        _t3 = _t2 ** 2
        _t4 = _t1 - _t3
        _t5 = _t4 ** 2
        _t6 = 100.0 * _t5
        _t7 = x[i]
        _t8 = 1.0 - _t7
        _t9 = _t8 ** 2
        _t10 = _t6 + _t9
        s += _t10
    # rosen_loop:11  return s
    return s


def rosen_loop_grad(x):
    """Value and gradient of 'rosen_loop' with respect to x."""
    # Plan:
    #   stored: nothing (every value the reverse sweep reads is still live when it is read)
    #   fused: the loop at line 9 runs each reverse iteration right after its forward one (its reverse iterations do not depend on one another)
    # -- forward sweep
    # rosen_loop:8  s = 0.0
    s = 0.0
    # -- reverse sweep
    # rosen_loop:7  def rosen_loop(x):
    dx = np.empty_like(x)
    ds = 1.0
    # -- last loop: forward and reverse iterations fused
    # rosen_loop:9  for i in range(x.shape[0] - 1):
    dx_i = 0.0
    dx_i_plus_1 = 0.0
    for i in range(x.shape[0] - 1):
        # rosen_loop:10  s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
        _t1 = x[i + 1]
        _t2 = x[i]
        _t3 = _t2 ** 2
        _t4 = _t1 - _t3
        _t5 = _t4 ** 2
        _t6 = 100.0 * _t5
        _t7 = x[i]
        _t8 = 1.0 - _t7
        _t9 = _t8 ** 2
        _t10 = _t6 + _t9
        s += _t10
        _dt8 = ds * 2 * _t8
        _dt7 = -_dt8
        _dt5 = ds * 100.0
        _dt4 = _dt5 * 2 * _t4
        _dt3 = -_dt4
        _dt2 = _dt3 * 2 * _t2
        dx_i += _dt7 + _dt2
        dx_i_plus_1 += _dt4
        # rosen_loop:9  for i in range(x.shape[0] - 1):
        dx[i] = dx_i
        dx_i = dx_i_plus_1
        dx_i_plus_1 = 0.0
    if (x.shape[0] - 1 >= 0):
        dx[x.shape[0] - 1] = dx_i
    # -- result
    # rosen_loop:11  return s
    return s, (dx,)
