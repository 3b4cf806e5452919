import math

import numpy as np


def while_break_jvp(x, tol, x_dot):
    """Value and Jacobian-vector product of 'while_break' along tangents of x."""
    # while_break:32  s = 0.0
    s = 0.0
    s_dot = 0.0
    # while_break:33  k = 0
    k = 0
    # while_break:34  while k < x.shape[0]:
    _t1 = x.shape
    _t2 = _t1[0]
    _c3 = k < _t2
    if _c3:
        _exit1 = False
        while (True):
            _skip1 = False
            # while_break:35  s += x[k] * x[k]
            _t4 = x[k]
            _t4_dot = x_dot[k]
            _t5 = _t4 * _t4
            _t5_dot = _t4_dot * _t4 + _t4 * _t4_dot
            s += _t5
            s_dot += _t5_dot
            # while_break:36  if s > tol:
            _c6 = s > tol
            _skip1 = True if _c6 else _skip1
            _exit1 = True if _c6 else _exit1
            # while_break:38  k += 1
            _c10 = not _skip1
            if _c10:
                k += (1)
                # while_break:34  while k < x.shape[0]:
                _t7 = x.shape
                _t8 = _t7[0]
                _c9 = k < _t8
                _exit1 = True if not _c9 else _exit1
            # while_break:34  while k < x.shape[0]:
            if _exit1:
                break
    # while_break:39  return s
    return s, s_dot
