import math

import numpy as np


def helper_jvp(v, v_dot):
    """Value and Jacobian-vector product of 'helper' along tangents of v."""
    # helper:54  return v * math.exp(-v)
    _t1 = -v
    _t1_dot = -v_dot
    _t2 = math.exp(_t1)
    _t2_dot = _t2 * _t1_dot
    _t3 = v * _t2
    _t3_dot = v_dot * _t2 + v * _t2_dot
    return _t3, _t3_dot


def calls_helper_jvp(x, x_dot):
    """Value and Jacobian-vector product of 'calls_helper' along tangents of x."""
    # calls_helper:58  s = 0.0
    s = 0.0
    s_dot = 0.0
    # calls_helper:59  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # calls_helper:60  s += helper(x[i])
        _t1 = x[i]
        _t1_dot = x_dot[i]
        _t2, _t2_dot = helper_jvp(_t1, _t1_dot)
        s += _t2
        s_dot += _t2_dot
    # calls_helper:61  return s
    return s, s_dot
