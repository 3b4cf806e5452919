import math

import numpy as np


def horner_per_point(c, x):
    """Primal of 'horner_per_point' (normalized)."""
    # horner_per_point:77  s = 0.0
    s = 0.0
    # horner_per_point:78  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # horner_per_point:79  p = 0.0
        p = 0.0
        # horner_per_point:80  for k in range(c.shape[0]):
        for k in range(c.shape[0]):
            # horner_per_point:81  p = p * x[i] + c[k]
            _t1 = x[i]
            _t2 = p * _t1
            _t3 = c[k]
            p = _t2 + _t3
        # horner_per_point:82  s += p * p
        _t4 = p * p
        s += _t4
    # horner_per_point:83  return s
    return s


def horner_per_point_grad(c, x):
    """Value and gradient of 'horner_per_point' with respect to c, x."""
    # Plan:
    #   stored once per iteration of the loop at line 80: 'p' (carried from one iteration to the next; on the stack _saved_p, allocated once before line 78 with room for max(c.shape[0], 0) values (a bound on its pushes))
    #   fused: the loop at line 78 runs each reverse iteration right after its forward one (its reverse iterations do not depend on one another)
    # -- forward sweep
    # horner_per_point:77  s = 0.0
    s = 0.0
    # horner_per_point:78  for i in range(x.shape[0]):
    _saved_p = np.empty(max(c.shape[0], 0), np.float64)
    # -- reverse sweep
    # horner_per_point:74  def horner_per_point(c, x):
    dc = np.zeros_like(c)
    dx = np.zeros_like(x)
    ds = 1.0
    # -- last loop: forward and reverse iterations fused
    # horner_per_point:78  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # each iteration pops what it pushes: the stack starts empty
        _saved_p_top = 0
        # horner_per_point:79  p = 0.0
        p = 0.0
        # horner_per_point:80  for k in range(c.shape[0]):
        for k in range(c.shape[0]):
            _saved_p[_saved_p_top] = p
            _saved_p_top += 1
            # horner_per_point:81  p = p * x[i] + c[k]
            _t1 = x[i]
            _t2 = p * _t1
            _t3 = c[k]
            p = _t2 + _t3
        # horner_per_point:82  s += p * p
        _t4 = p * p
        s += _t4
        dp = ds * 2.0 * p
        # horner_per_point:80  for k in range(c.shape[0]):
        if (c.shape[0] - 1 > -1):
            # horner_per_point:81  p = p * x[i] + c[k]
            _t1 = x[i]
            dx_sum = 0.0
            # horner_per_point:80  for k in range(c.shape[0]):
            for k in range(c.shape[0] - 1, -1, -1):
                _saved_p_top -= 1
                p = _saved_p[_saved_p_top]
                # horner_per_point:81  p = p * x[i] + c[k]
                _dt2 = dp
                dc[k] += dp
                dp = _dt2 * _t1
                _dt1 = _dt2 * p
                dx_sum += _dt1
            # horner_per_point:81  p = p * x[i] + c[k]
            dx[i] += dx_sum
    # -- result
    # horner_per_point:83  return s
    return s, (dc, dx)
