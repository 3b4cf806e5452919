import math

import numpy as np


def calls_helper(x):
    """Primal of 'calls_helper' (normalized)."""
    # calls_helper:58  s = 0.0
    s = 0.0
    # calls_helper:59  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # calls_helper:60  s += helper(x[i])     # a small helper: inlined
        v = x[i]
        # helper:54  return v * math.exp(-v)  (inlined at calls_helper:60)
        _t1 = -v
        _t2 = math.exp(_t1)
        helper_result = v * _t2
        # calls_helper:60  s += helper(x[i])     # a small helper: inlined
        s += helper_result
    # calls_helper:61  return s
    return s


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
    dx = np.empty_like(x)
    ds = 1.0
    # -- last loop: forward and reverse iterations fused
    # calls_helper:59  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # calls_helper:60  s += helper(x[i])     # a small helper: inlined
        v = x[i]
        # helper:54  return v * math.exp(-v)  (inlined at calls_helper:60)
        _t1 = -v
        _t2 = math.exp(_t1)
        helper_result = v * _t2
        # calls_helper:60  s += helper(x[i])     # a small helper: inlined
        s += helper_result
        dhelper_result = ds
        # helper:54  return v * math.exp(-v)  (inlined at calls_helper:60)
        dv = dhelper_result * _t2
        _dt2 = dhelper_result * v
        _dt1 = _dt2 * _t2
        dv += -_dt1
        # calls_helper:60  s += helper(x[i])     # a small helper: inlined
        dx[i] = dv
    # -- result
    # calls_helper:61  return s
    return s, (dx,)
