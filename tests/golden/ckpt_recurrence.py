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
    #   stored once per iteration of the loop at line 16: 'y' (carried from one iteration to the next; a list)
    #   checkpointed: the loop at line 16 (a snapshot of its state every segment; each segment re-run with its tape in reverse)
    # -- tape
    # recurrence:14  def recurrence(x, w):
    _t1 = 0.0
    _saved_y = []
    _ckpt_y = []
    # -- forward sweep
    # recurrence:15  y = x
    y = x
    # recurrence:16  for i in range(10):
    # checkpointed: no tape, a snapshot of the loop's state every _every iterations
    _every = 3
    _saved_t1 = np.empty(_every, np.float64)
    for i in range(10):
        if (i % _every == 0):
            _ckpt_y.append(y)
        # recurrence:17  y = math.sin(y) * w
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
    # checkpointed: each segment, last first: restore its snapshot, re-run with tape, reverse
    for _start in range(9 // _every * _every, -1, -_every):
        _stop = min(_start + _every, 10)
        y = _ckpt_y.pop()
        for i in range(_start, _stop):
            _saved_y.append(y)
            # recurrence:17  y = math.sin(y) * w
            _saved_t1[i - _start] = _t1
            _t1 = math.sin(y)
            y = _t1 * w
        dw_i = 0.0
        for i in range(_stop - 1, _start - 1, -1):
            y = _saved_y.pop()
            # recurrence:17  y = math.sin(y) * w
            _dt1 = dy * w
            dw_i += dy * _t1
            dy = _dt1 * math.cos(y)
            _t1 = _saved_t1[i - _start]
        dw += dw_i
    # recurrence:15  y = x
    dx += dy
    # -- result
    # recurrence:18  return y
    return value, (dx, dw)
