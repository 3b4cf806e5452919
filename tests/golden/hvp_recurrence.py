import math

import numpy as np


def recurrence_grad_jvp(x, w, x_dot, w_dot):
    """Value and Jacobian-vector product of 'recurrence_grad' along tangents of x, w."""
    # recurrence:14  def recurrence(x, w):
    _t1 = 0.0
    _t1_dot = 0.0
    # recurrence:15  y = x
    y = x
    y_dot = x_dot
    # recurrence:16  for i in range(10):
    _t2 = np.float64
    _saved_y = np.empty(10, _t2)
    _saved_y_dot = np.zeros_like(_saved_y)
    _t3 = np.float64
    _saved_t1 = np.empty(10, _t3)
    _saved_t1_dot = np.zeros_like(_saved_t1)
    for i in range(10):
        _saved_y[i] = y
        _saved_y_dot[i] = y_dot
        # recurrence:17  y = math.sin(y) * w
        _saved_t1[i] = _t1
        _saved_t1_dot[i] = _t1_dot
        _t1 = math.sin(y)
        _t1_dot = math.cos(y) * y_dot
        y = _t1 * w
        y_dot = _t1_dot * w + _t1 * w_dot
    # recurrence:18  return y
    value = y
    # recurrence:14  def recurrence(x, w):
    dw = 0.0
    dw_dot = 0.0
    dx = 0.0
    dx_dot = 0.0
    dy = 1.0
    dy_dot = 0.0
    # recurrence:16  for i in range(10):
    for i in range(9, -1, -1):
        y = _saved_y[i]
        y_dot = _saved_y_dot[i]
        # recurrence:17  y = math.sin(y) * w
        _dt1 = dy * w
        _dt1_dot = dy_dot * w + dy * w_dot
        _t4 = dy * _t1
        _t4_dot = dy_dot * _t1 + dy * _t1_dot
        dw += _t4
        dw_dot += _t4_dot
        _t5 = math.cos(y)
        _t5_dot = -math.sin(y) * y_dot
        dy = _dt1 * _t5
        dy_dot = _dt1_dot * _t5 + _dt1 * _t5_dot
        _t1 = _saved_t1[i]
        _t1_dot = _saved_t1_dot[i]
    # recurrence:15  y = x
    dx += dy
    dx_dot += dy_dot
    # recurrence:18  return y
    _t6 = dx, dw
    _t6_dot = dx_dot, dw_dot
    _t7 = value, _t6
    _t7_dot = 0.0, _t6_dot
    return _t7, _t7_dot
