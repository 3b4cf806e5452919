import math

import numpy as np


def gbm_call_grad_element(s0, sigma, z, r, T, K, _saved_t11, _saved_s, tape_need):
    """gbm_call_grad for one element of a batch, tapes in preallocated arrays.

    A tape too small for what this element saves returns zeros at once (a
    pop above its capacity, or a trip count larger than its capacity): the
    driver runs the batch again with the capacities reported in tape_need."""
    _saved_t11_top = 0
    # -- forward sweep
    # gbm_call:12  n = z.shape[0]
    _t1 = z.shape
    n = _t1[0]
    # gbm_call:13  dt = T / n
    dt = T / n
    # gbm_call:14  s = s0
    s = s0
    # gbm_call:15  for i in range(n):
    if (max(n, 0) > _saved_s.shape[0]):
        tape_overflow(tape_need, 1, max(n, 0) - 1)
        return 0.0, 0.0, 0.0
    for i in range(n):
        _saved_s[i] = s
        # gbm_call:16  s = s * math.exp((r - 0.5 * sigma * sigma) * dt + sigma * math.sqrt(dt) * z[i])
        _t2 = 0.5 * sigma
        _t3 = _t2 * sigma
        _t4 = r - _t3
        _t5 = _t4 * dt
        _t6 = math.sqrt(dt)
        _t7 = sigma * _t6
        _t8 = z[i]
        _t9 = _t7 * _t8
        _t10 = _t5 + _t9
        _t11 = math.exp(_t10)
        if (_saved_t11_top < _saved_t11.shape[0]):
            _saved_t11[_saved_t11_top] = _t11
        else:
            tape_overflow(tape_need, 0, _saved_t11_top)
        _saved_t11_top += 1
        _t12 = s * _t11
        s = _t12
    # gbm_call:17  return math.exp(-r * T) * max(s - K, 0.0)
    _t13 = -r
    _t14 = _t13 * T
    _t15 = math.exp(_t14)
    _t16 = s - K
    _t17 = max(_t16, 0.0)
    _t18 = _t15 * _t17
    # -- reverse sweep
    # gbm_call:10  def gbm_call(s0, sigma, z, r, T, K):
    ds = 0.0
    ds0 = 0.0
    dsigma = 0.0
    _dt18 = 1.0
    # gbm_call:17  return math.exp(-r * T) * max(s - K, 0.0)
    _dt17 = _dt18 * _t15
    _dt16 = 0.0 if 0.0 > _t16 else _dt17 * (0.5 if _t16 == 0.0 else 1.0)
    ds += _dt16
    # gbm_call:15  for i in range(n):
    for i in range(n - 1, -1, -1):
        s = _saved_s[i]
        # gbm_call:16  s = s * math.exp((r - 0.5 * sigma * sigma) * dt + sigma * math.sqrt(dt) * z[i])
        _t2 = 0.5 * sigma
        _t6 = math.sqrt(dt)
        _t8 = z[i]
        _saved_t11_top -= 1
        if (_saved_t11_top >= _saved_t11.shape[0]):
            return 0.0, 0.0, 0.0
        _t11 = _saved_t11[_saved_t11_top]
        _dt12 = ds
        ds = _dt12 * _t11
        _dt11 = _dt12 * s
        _dt10 = _dt11 * _t11
        _dt7 = _dt10 * _t8
        dsigma += _dt7 * _t6
        _dt4 = _dt10 * dt
        _dt3 = -_dt4
        _dt2 = _dt3 * sigma
        dsigma += _dt3 * _t2
        dsigma += _dt2 * 0.5
    # gbm_call:14  s = s0
    ds0 += ds
    # -- result
    # gbm_call:17  return math.exp(-r * T) * max(s - K, 0.0)
    return _t18, ds0, dsigma


from numba import prange


def gbm_call_grad_batched(s0, sigma, z, r, T, K, out_value, out_ds0, out_dsigma, tape_capacity, tape_need):
    """gbm_call_grad_element for each element of the batch: chunks of the batch in parallel, each with its own tapes, writing only its own rows."""
    n_elements = out_value.shape[0]
    n_chunks = tape_need.shape[0]
    for chunk in prange(n_chunks):
        # tapes reused by every element of the chunk
        _saved_t11 = np.empty(tape_capacity[0], np.float64)
        _saved_s = np.empty(tape_capacity[1], np.float64)
        for b in range(chunk * n_elements // n_chunks, (chunk + 1) * n_elements // n_chunks):
            out_value[b], out_ds0[b], out_dsigma[b] = gbm_call_grad_element(s0[b], sigma[b], z[b], r, T, K, _saved_t11, _saved_s, tape_need[chunk])
