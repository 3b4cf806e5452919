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
        _t3 = x[i]
        _t4 = _t2 * _t3
        a = _t1 - _t4
        # rosen_temporaries:69  b = 1.0 - x[i]
        _t5 = x[i]
        b = 1.0 - _t5
        # rosen_temporaries:70  s += 100.0 * a * a + b * b
        _t6 = 100.0 * a
        _t7 = _t6 * a
        _t8 = b * b
        _t9 = _t7 + _t8
        s += _t9
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
    da = 0.0
    db = 0.0
    dx = np.zeros_like(x)
    ds = 1.0
    # -- last loop: forward and reverse iterations fused
    # rosen_temporaries:67  for i in range(x.shape[0] - 1):
    for i in range(x.shape[0] - 1):
        # rosen_temporaries:68  a = x[i + 1] - x[i] * x[i]
        _t1 = x[i + 1]
        _t2 = x[i]
        _t3 = x[i]
        _t4 = _t2 * _t3
        a = _t1 - _t4
        # rosen_temporaries:69  b = 1.0 - x[i]
        _t5 = x[i]
        b = 1.0 - _t5
        # rosen_temporaries:70  s += 100.0 * a * a + b * b
        _t6 = 100.0 * a
        _t7 = _t6 * a
        _t8 = b * b
        _t9 = _t7 + _t8
        s += _t9
        _dt9 = ds
        _dt7 = _dt9
        _dt8 = _dt9
        db = _dt8 * b
        db += _dt8 * b
        _dt6 = _dt7 * a
        da = _dt7 * _t6
        da += _dt6 * 100.0
        # rosen_temporaries:69  b = 1.0 - x[i]
        _dt5 = -db
        db = 0.0
        # rosen_temporaries:68  a = x[i + 1] - x[i] * x[i]
        _dt1 = da
        _dt4 = -da
        da = 0.0
        _dt2 = _dt4 * _t3
        _dt3 = _dt4 * _t2
        dx[i] += _dt5 + _dt3 + _dt2
        dx[i + 1] += _dt1
    # -- result
    # rosen_temporaries:71  return s
    return s, (dx,)
