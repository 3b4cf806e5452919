import math

import numpy as np


def while_break(x, tol):
    """Primal of 'while_break' (normalized)."""
    # while_break:32  s = 0.0
    s = 0.0
    # while_break:33  k = 0
    k = 0
    # while_break:34  while k < x.shape[0]:
    _t1 = x.shape
    _t2 = _t1[0]
    _c3 = k < _t2
    if _c3:
        _exit1 = False
        _n1 = 0
        while (True):
            _n1 += (1)
            _skip1 = False
            # while_break:35  s += x[k] * x[k]
            _t4 = x[k]
            _t5 = _t4 * _t4
            s += _t5
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
    return s


def while_break_grad(x, tol):
    """Value and gradient of 'while_break' with respect to x."""
    # Plan:
    #   stored before each overwrite: 1 temporary of line 38, on the stack _saved_c10, allocated once before line 34 with room for max(x.shape[0], 0) values (a bound on its pushes)
    #   stored before each overwrite: 1 temporary of line 35, on the stack _saved_t4, allocated once before line 34 with room for max(x.shape[0], 0) values (a bound on its pushes)
    #   undone, not stored (each update inverted in reverse): 'k' (line 38)
    # -- tape
    # while_break:31  def while_break(x, tol):
    _c10 = False
    _t4 = 0.0
    # -- forward sweep
    # while_break:32  s = 0.0
    s = 0.0
    # while_break:33  k = 0
    k = 0
    # while_break:34  while k < x.shape[0]:
    _t1 = x.shape
    _t2 = _t1[0]
    _c3 = k < _t2
    _saved_c10 = np.empty(max(x.shape[0], 0), np.bool_)
    _saved_c10_top = 0
    _saved_t4 = np.empty(max(x.shape[0], 0), np.float64)
    _saved_t4_top = 0
    if _c3:
        _exit1 = False
        _n1 = 0
        while (True):
            _n1 += 1
            _skip1 = False
            # while_break:35  s += x[k] * x[k]
            _saved_t4[_saved_t4_top] = _t4
            _saved_t4_top += 1
            _t4 = x[k]
            _t5 = _t4 * _t4
            s += _t5
            # while_break:36  if s > tol:
            _c6 = s > tol
            _skip1 = True if _c6 else _skip1
            _exit1 = True if _c6 else _exit1
            # while_break:38  k += 1
            _saved_c10[_saved_c10_top] = _c10
            _saved_c10_top += 1
            _c10 = not _skip1
            if _c10:
                k += 1
                # while_break:34  while k < x.shape[0]:
                _t7 = x.shape
                _t8 = _t7[0]
                _c9 = k < _t8
                _exit1 = True if not _c9 else _exit1
            # while_break:34  while k < x.shape[0]:
            if _exit1:
                break
    # -- reverse sweep
    # while_break:31  def while_break(x, tol):
    dx = np.zeros_like(x)
    ds = 1.0
    # while_break:34  while k < x.shape[0]:
    if _c3:
        for _k3 in range(_n1):
            # while_break:38  k += 1
            k_then = k - 1
            k = k_then if _c10 else k
            _saved_c10_top -= 1
            _c10 = _saved_c10[_saved_c10_top]
            # while_break:35  s += x[k] * x[k]
            _dt4 = ds * 2.0 * _t4
            dx[k] += _dt4
            _saved_t4_top -= 1
            _t4 = _saved_t4[_saved_t4_top]
    # -- result
    # while_break:39  return s
    return s, (dx,)
