import math

import numpy as np


def sd_helper_jvp(v, v_dot):
    """Value and Jacobian-vector product of 'sd_helper' along tangents of v."""
    # sd_helper:11  return v * math.exp(-v)
    _t1 = -v
    _t1_dot = -v_dot
    _t2 = math.exp(_t1)
    _t2_dot = _t2 * _t1_dot
    _t3 = v * _t2
    _t3_dot = v_dot * _t2 + v * _t2_dot
    return _t3, _t3_dot


def calls_sd_helper_jvp(x, x_dot):
    """Value and Jacobian-vector product of 'calls_sd_helper' along tangents of x."""
    # calls_sd_helper:15  s = 0.0
    s = 0.0
    s_dot = 0.0
    # calls_sd_helper:16  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # calls_sd_helper:17  s += sd_helper(x[i])
        _t1 = x[i]
        _t1_dot = x_dot[i]
        _t2, _t2_dot = sd_helper_jvp(_t1, _t1_dot)
        s += _t2
        s_dot += _t2_dot
    # calls_sd_helper:18  return s
    return s, s_dot
