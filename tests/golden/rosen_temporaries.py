import math

import numpy as np


def rosen_temporaries(x):
    """Primal of 'rosen_temporaries' (normalized)."""
    # rosen_temporaries:66  s = 0.0
    s = 0.0
    # rosen_temporaries:67  for i in range(x.shape[0] - 1):
    for i in range(x.shape[0] - 1):
        # rosen_temporaries:68  a = x[i + 1] - x[i] * x[i]
        _t1 = x[i + 1]
        _t2 = x[i]
        _t3 = _t2 * _t2
        a = _t1 - _t3
        # rosen_temporaries:69  b = 1.0 - x[i]
        _t4 = x[i]
        b = 1.0 - _t4
        # rosen_temporaries:70  s += 100.0 * a * a + b * b
        _t5 = 100.0 * a
        _t6 = _t5 * a
        _t7 = b * b
        _t8 = _t6 + _t7
        s += _t8
    # rosen_temporaries:71  return s
    return s


def rosen_temporaries_grad(x):
    """Value and gradient of 'rosen_temporaries' with respect to x."""
    # Plan:
    #   stored: nothing (every value the reverse sweep reads is still live when it is read)
    #   fused: the loop at line 67 runs each reverse iteration right after its forward one (its reverse iterations do not depend on one another)
    # -- forward sweep
    # rosen_temporaries:66  s = 0.0
    s = 0.0
    # -- reverse sweep
    # rosen_temporaries:64  def rosen_temporaries(x):
    dx = np.empty_like(x)
    ds = 1.0
    # -- last loop: forward and reverse iterations fused
    # rosen_temporaries:67  for i in range(x.shape[0] - 1):
    dx_i = 0.0
    dx_i_plus_1 = 0.0
    for i in range(x.shape[0] - 1):
        # rosen_temporaries:68  a = x[i + 1] - x[i] * x[i]
        _t1 = x[i + 1]
        _t2 = x[i]
        _t3 = _t2 * _t2
        a = _t1 - _t3
        # rosen_temporaries:69  b = 1.0 - x[i]
        _t4 = x[i]
        b = 1.0 - _t4
        # rosen_temporaries:70  s += 100.0 * a * a + b * b
        _t5 = 100.0 * a
        _t6 = _t5 * a
        _t7 = b * b
        _t8 = _t6 + _t7
        s += _t8
        db = ds * 2.0 * b
        _dt5 = ds * a
        da = ds * _t5
        da += _dt5 * 100.0
        # rosen_temporaries:69  b = 1.0 - x[i]
        _dt4 = -db
        # rosen_temporaries:68  a = x[i + 1] - x[i] * x[i]
        _dt3 = -da
        _dt2 = _dt3 * 2.0 * _t2
        dx_i += _dt4 + _dt2
        dx_i_plus_1 += da
        # rosen_temporaries:67  for i in range(x.shape[0] - 1):
        dx[i] = dx_i
        dx_i = dx_i_plus_1
        dx_i_plus_1 = 0.0
    if (x.shape[0] - 1 >= 0):
        dx[x.shape[0] - 1] = dx_i
    # -- result
    # rosen_temporaries:71  return s
    return s, (dx,)
