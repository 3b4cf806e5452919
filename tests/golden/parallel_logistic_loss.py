import math

import numpy as np

from numba import prange


def logistic_loss(w, X, y):
    """Primal of 'logistic_loss' (normalized)."""
    # logistic_loss:22  n, d = X.shape
    _t1 = X.shape
    n = _t1[0]
    d = _t1[1]
    # logistic_loss:23  s = 0.0
    s = 0.0
    # logistic_loss:24  for i in range(n):
    # parallel: the iterations are independent; its sums (s) are added up across threads
    for i in prange(n):
        # logistic_loss:25  z = 0.0
        z = 0.0
        # logistic_loss:26  for j in range(d):
        for j in range(d):
            # logistic_loss:27  z += X[i, j] * w[j]
            _t2 = X[i, j]
            _t3 = w[j]
            _t4 = _t2 * _t3
            z += _t4
        # logistic_loss:28  s += math.log(1.0 + math.exp(-y[i] * z))
        _t5 = y[i]
        _t6 = -_t5
        _t7 = _t6 * z
        _t8 = math.exp(_t7)
        _t9 = 1.0 + _t8
        _t10 = math.log(_t9)
        s += _t10
    # logistic_loss:29  return s / n
    _t11 = s / n
    return _t11


def logistic_loss_grad(w, X, y):
    """Value and gradient of 'logistic_loss' with respect to w."""
    # Plan:
    #   stored: nothing (every value the reverse sweep reads is still live when it is read)
    #   fused: the loop at line 24 runs each reverse iteration right after its forward one (its reverse iterations do not depend on one another)
    #   seeds first: the reverse of line 29 runs before the loop at line 24 (it reads none of the values the loop computes), line 29 after it
    # -- forward sweep
    # logistic_loss:22  n, d = X.shape
    _t1 = X.shape
    n = _t1[0]
    d = _t1[1]
    # logistic_loss:23  s = 0.0
    s = 0.0
    # -- reverse sweep
    # logistic_loss:21  def logistic_loss(w, X, y):
    ds = 0.0
    dw = np.zeros_like(w)
    _dt11 = 1.0
    # logistic_loss:29  return s / n
    _dx3 = _dt11 / n
    ds += _dx3
    # -- last loop: forward and reverse iterations fused
    # logistic_loss:24  for i in range(n):
    # parallel: the iterations are independent; they run in chunks, each adding into its own s_part, dw_part (added into s, dw after the chunk)
    _chunks = min(max(n, 0), 64)
    dw_zero = np.zeros_like(dw)
    for _chunk in prange(_chunks):
        dw_part = dw_zero.copy()
        s_part = 0.0
        for i in range(_chunk * (n) // _chunks, (_chunk + 1) * (n) // _chunks):
            # logistic_loss:25  z = 0.0
            z = 0.0
            # logistic_loss:26  for j in range(d):
            for j in range(d):
                # logistic_loss:27  z += X[i, j] * w[j]
                _t2 = X[i, j]
                _t3 = w[j]
                _t4 = _t2 * _t3
                z += _t4
            # logistic_loss:28  s += math.log(1.0 + math.exp(-y[i] * z))
            _t5 = y[i]
            _t6 = -_t5
            _t7 = _t6 * z
            _t8 = math.exp(_t7)
            _t9 = 1.0 + _t8
            _t10 = math.log(_t9)
            s_part += _t10
            _dt9 = ds / _t9
            _dt7 = _dt9 * _t8
            dz = _dt7 * _t6
            # logistic_loss:26  for j in range(d):
            for j in range(d):
                # logistic_loss:27  z += X[i, j] * w[j]
                _t2 = X[i, j]
                _dt3 = dz * _t2
                dw_part[j] += _dt3
        s += s_part
        dw += dw_part
    # -- the value, from the fused loop's results
    # logistic_loss:29  return s / n
    _t11 = s / n
    # -- result
    # logistic_loss:29  return s / n
    return _t11, (dw,)
