import math

import numpy as np


def sd_helper(v):
    """Primal of 'sd_helper' (normalized)."""
    # sd_helper:11  return v * math.exp(-v)
    _t1 = -v
    _t2 = math.exp(_t1)
    _t3 = v * _t2
    return _t3


def calls_sd_helper(x):
    """Primal of 'calls_sd_helper' (normalized)."""
    # calls_sd_helper:15  s = 0.0
    s = 0.0
    # calls_sd_helper:16  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # calls_sd_helper:17  s += sd_helper(x[i])
        _t1 = x[i]
        _t2 = sd_helper(_t1)
        s += _t2
    # calls_sd_helper:18  return s
    return s


def sd_helper_vjp(v, cotangent):
    """Value and vector-Jacobian product of 'sd_helper' with respect to v."""
    # Plan:
    #   stored: nothing (every value the reverse sweep reads is still live when it is read)
    # -- forward sweep
    # sd_helper:11  return v * math.exp(-v)
    _t1 = -v
    _t2 = math.exp(_t1)
    _t3 = v * _t2
    # -- reverse sweep
    # sd_helper:10  def sd_helper(v):
    dv = 0.0
    # sd_helper:11  return v * math.exp(-v)
    dv += cotangent * _t2
    _dt2 = cotangent * v
    _dt1 = _dt2 * _t2
    dv += -_dt1
    # -- result
    # sd_helper:11  return v * math.exp(-v)
    return _t3, (dv,)


def calls_sd_helper_grad(x):
    """Value and gradient of 'calls_sd_helper' with respect to x."""
    # Plan:
    #   stored: nothing (every value the reverse sweep reads is still live when it is read)
    #   fused: the loop at line 16 runs each reverse iteration right after its forward one (its reverse iterations do not depend on one another)
    # -- forward sweep
    # calls_sd_helper:15  s = 0.0
    s = 0.0
    # -- reverse sweep
    # calls_sd_helper:14  def calls_sd_helper(x):
    dx = np.empty_like(x)
    ds = 1.0
    # -- last loop: forward and reverse iterations fused
    # calls_sd_helper:16  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # calls_sd_helper:17  s += sd_helper(x[i])
        _t1 = x[i]
        _t2 = sd_helper(_t1)
        s += _t2
        _dt13, = sd_helper_vjp(_t1, ds)[1]
        d_t1 = _dt13
        dx[i] = d_t1
    # -- result
    # calls_sd_helper:18  return s
    return s, (dx,)
