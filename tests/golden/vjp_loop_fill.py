import math

import numpy as np

from sourcediff.runtime.helpers import wrap_index


def loop_fill(x, k):
    """Primal of 'loop_fill' (normalized)."""
    # loop_fill:20  out = np.zeros(x.shape[0])
    _t1 = x.shape
    _t2 = _t1[0]
    out = np.zeros(_t2)
    # loop_fill:21  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # loop_fill:22  out[i] = math.sin(x[i] * k) + x[(i + 1) % x.shape[0]] ** 2
        _t3 = x[i]
        _t4 = _t3 * k
        _t5 = math.sin(_t4)
        _t6 = x[wrap_index(i + 1, x.shape[0])]
        _t7 = _t6 ** 2
        _t8 = _t5 + _t7
        out[i] = _t8
    # loop_fill:23  return out
    return out


def loop_fill_vjp(x, k, cotangent):
    """Value and vector-Jacobian product of 'loop_fill' with respect to x, k."""
    # Plan:
    #   stored: nothing (every value the reverse sweep reads is still live when it is read)
    #   recomputed in each reverse iteration of the loop at line 21: 3 values of line 22 (from the loop index and values the loop does not change)
    # -- forward sweep
    # loop_fill:20  out = np.zeros(x.shape[0])
    _t1 = x.shape
    _t2 = _t1[0]
    out = np.zeros(_t2)
    dout = np.zeros_like(out)
    # loop_fill:21  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # loop_fill:22  out[i] = math.sin(x[i] * k) + x[(i + 1) % x.shape[0]] ** 2
        _t3 = x[i]
        _t4 = _t3 * k
        _t5 = math.sin(_t4)
        _t6 = x[wrap_index(i + 1, x.shape[0])]
        _t7 = _t6 ** 2
        _t8 = _t5 + _t7
        out[i] = _t8
    # -- reverse sweep
    # loop_fill:19  def loop_fill(x, k):
    dk = 0.0
    dx = np.zeros_like(x)
    dout += cotangent
    # loop_fill:21  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # loop_fill:22  out[i] = math.sin(x[i] * k) + x[(i + 1) % x.shape[0]] ** 2
        _t3 = x[i]
        _t4 = _t3 * k
        _t6 = x[wrap_index(i + 1, x.shape[0])]
        _dt8 = dout[i]
        dout[i] = 0.0
        _dt6 = _dt8 * 2 * _t6
        dx[wrap_index(i + 1, x.shape[0])] += _dt6
        _dt4 = _dt8 * math.cos(_t4)
        _dt3 = _dt4 * k
        dk += _dt4 * _t3
        dx[i] += _dt3
    # -- result
    # loop_fill:23  return out
    return out, (dx, dk)
