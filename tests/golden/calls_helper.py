import math

import numpy as np


def helper(v):
    """Primal of 'helper' (normalized)."""
    # helper:54  return v * math.exp(-v)
    _t1 = -v
    _t2 = math.exp(_t1)
    _t3 = v * _t2
    return _t3


def calls_helper(x):
    """Primal of 'calls_helper' (normalized)."""
    # calls_helper:58  s = 0.0
    s = 0.0
    # calls_helper:59  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # calls_helper:60  s += helper(x[i])
        _t1 = x[i]
        _t2 = helper(_t1)
        s += _t2
    # calls_helper:61  return s
    return s


def helper_vjp(v, cotangent):
    """Value and vector-Jacobian product of 'helper' with respect to v."""
    # Plan:
    #   stored: nothing (every value the reverse sweep reads is still live when it is read)
    # -- forward sweep
    # helper:54  return v * math.exp(-v)
    _t1 = -v
    _t2 = math.exp(_t1)
    _t3 = v * _t2
    # -- reverse sweep
    # helper:53  def helper(v):
    dv = 0.0
    _dt3 = cotangent
    # helper:54  return v * math.exp(-v)
    dv += _dt3 * _t2
    _dt2 = _dt3 * v
    _dt1 = _dt2 * _t2
    dv += -_dt1
    # -- result
    # helper:54  return v * math.exp(-v)
    return _t3, (dv,)


def calls_helper_grad(x):
    """Value and gradient of 'calls_helper' with respect to x."""
    # Plan:
    #   stored: nothing (every value the reverse sweep reads is still live when it is read)
    #   fused: the loop at line 59 runs each reverse iteration right after its forward one (its reverse iterations do not depend on one another)
    # -- forward sweep
    # calls_helper:58  s = 0.0
    s = 0.0
    # -- reverse sweep
    # calls_helper:57  def calls_helper(x):
    dx = np.zeros_like(x)
    ds = 1.0
    # -- last loop: forward and reverse iterations fused
    # calls_helper:59  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # calls_helper:60  s += helper(x[i])
        _t1 = x[i]
        _t2 = helper(_t1)
        s += _t2
        _dt2 = ds
        _dt13, = helper_vjp(_t1, _dt2)[1]
        d_t1 = _dt13
        dx[i] += d_t1
    # -- result
    # calls_helper:61  return s
    return s, (dx,)
