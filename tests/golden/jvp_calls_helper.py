import math

import numpy as np


def calls_helper_jvp(x, x_dot):
    """Value and Jacobian-vector product of 'calls_helper' along tangents of x."""
    # calls_helper:58  s = 0.0
    s = 0.0
    s_dot = 0.0
    # calls_helper:59  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # calls_helper:60  s += helper(x[i])     # a small helper: inlined
        v = x[i]
        v_dot = x_dot[i]
        # helper:54  return v * math.exp(-v)  (inlined at calls_helper:60)
        _t1 = -v
        _t1_dot = -v_dot
        _t2 = math.exp(_t1)
        _t2_dot = _t2 * _t1_dot
        helper_result = v * _t2
        helper_result_dot = v_dot * _t2 + v * _t2_dot
        # calls_helper:60  s += helper(x[i])     # a small helper: inlined
        s += helper_result
        s_dot += helper_result_dot
    # calls_helper:61  return s
    return s, s_dot
