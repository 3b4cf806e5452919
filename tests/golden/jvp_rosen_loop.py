import math

import numpy as np


def rosen_loop_jvp(x, x_dot):
    """Value and Jacobian-vector product of 'rosen_loop' along tangents of x."""
    # rosen_loop:8  s = 0.0
    s = 0.0
    s_dot = 0.0
    # rosen_loop:9  for i in range(x.shape[0] - 1):
    for i in range(x.shape[0] - 1):
        # rosen_loop:10  s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
        _t1 = x[i + 1]
        _t1_dot = x_dot[i + 1]
        _t2 = x[i]
        _t2_dot = x_dot[i]
        _t3 = _t2 ** 2
        _t3_dot = _t2_dot * 2 * _t2
        _t4 = _t1 - _t3
        _t4_dot = _t1_dot - _t3_dot
        _t5 = _t4 ** 2
        _t5_dot = _t4_dot * 2 * _t4
        _t6 = 100.0 * _t5
        _t6_dot = 100.0 * _t5_dot
        _t7 = x[i]
        _t7_dot = x_dot[i]
        _t8 = 1.0 - _t7
        _t8_dot = -_t7_dot
        _t9 = _t8 ** 2
        _t9_dot = _t8_dot * 2 * _t8
        _t10 = _t6 + _t9
        _t10_dot = _t6_dot + _t9_dot
        s += _t10
        s_dot += _t10_dot
    # rosen_loop:11  return s
    return s, s_dot
