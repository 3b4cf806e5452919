import math

import numpy as np


def recurrence(x, w):
    """Primal of 'recurrence' (normalized)."""
    # recurrence:15  y = x
    y = x
    # recurrence:16  for i in range(10):
    for i in range(10):
        # recurrence:17  y = math.sin(y) * w
        _t1 = math.sin(y)
        y = _t1 * w
    # recurrence:18  return y
    return y


def recurrence_grad(x, w):
    """Value and gradient of 'recurrence' with respect to x, w."""
    # Plan:
    #   stored before each overwrite, one slot per loop iteration in arrays allocated once: 1 temporary of line 17
    #   stored once per iteration of the loop at line 16: 'y' (carried from one iteration to the next; one slot per iteration, allocated once)
    # -- tape
    # recurrence:14  def recurrence(x, w):
    _t1 = 0.0
    # -- forward sweep
    # recurrence:15  y = x
    y = x
    # recurrence:16  for i in range(10):
    _saved_y = np.empty(10, np.float64)
    _saved_t1 = np.empty(10, np.float64)
    for i in range(10):
        _saved_y[i] = y
        # recurrence:17  y = math.sin(y) * w
        _saved_t1[i] = _t1
        _t1 = math.sin(y)
        y = _t1 * w
    # recurrence:18  return y
    value = y
    # -- reverse sweep
    # recurrence:14  def recurrence(x, w):
    dw = 0.0
    dx = 0.0
    dy = 1.0
    # recurrence:16  for i in range(10):
    for i in range(9, -1, -1):
        y = _saved_y[i]
        # recurrence:17  y = math.sin(y) * w
        _dt1 = dy * w
        dw += dy * _t1
        dy = _dt1 * math.cos(y)
        _t1 = _saved_t1[i]
    # recurrence:15  y = x
    dx += dy
    # -- result
    # recurrence:18  return y
    return value, (dx, dw)
