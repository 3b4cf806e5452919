import math

import numpy as np


def scratch_array_jvp(x, w, x_dot, w_dot):
    """Value and Jacobian-vector product of 'scratch_array' along tangents of x, w."""
    # scratch_array:43  n = x.shape[0]
    _t1 = x.shape
    n = _t1[0]
    # scratch_array:44  u = np.zeros(n)
    u = np.zeros(n)
    u_dot = np.zeros_like(u)
    # scratch_array:45  s = 0.0
    s = 0.0
    s_dot = 0.0
    # scratch_array:46  for t in range(3):
    for t in range(3):
        # scratch_array:47  for i in range(n):
        for i in range(n):
            # scratch_array:48  u[i] = math.tanh(w * x[i] + u[i])
            _t2 = x[i]
            _t2_dot = x_dot[i]
            _t3 = w * _t2
            _t3_dot = w_dot * _t2 + w * _t2_dot
            _t4 = u[i]
            _t4_dot = u_dot[i]
            _t5 = _t3 + _t4
            _t5_dot = _t3_dot + _t4_dot
            _t6 = math.tanh(_t5)
            _t6_dot = (1.0 - _t6 * _t6) * _t5_dot
            u[i] = _t6
            u_dot[i] = _t6_dot
        # scratch_array:49  s += np.sum(u * u)
        _t7 = u * u
        _t7_dot = u_dot * u + u * u_dot
        _t8 = np.sum(_t7)
        _t8_dot = np.sum(_t7_dot)
        s += _t8
        s_dot += _t8_dot
    # scratch_array:50  return s
    return s, s_dot
