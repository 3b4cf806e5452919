import math

import numpy as np


def gbm_call_grad_element(s0, sigma, z, r, T, K, _saved_s, tape_need):
    """gbm_call_grad for one element of a batch, tapes in preallocated arrays.

    A tape too small for what this element saves returns zeros at once (a
    pop above its capacity, or a trip count larger than its capacity): the
    driver runs the batch again with the capacities reported in tape_need."""
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
        tape_overflow(tape_need, 0, max(n, 0) - 1)
        return 0.0, 0.0, 0.0, 0.0
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
    dr = 0.0
    ds = 0.0
    ds0 = 0.0
    dsigma = 0.0
    _dt18 = 1.0
    # gbm_call:17  return math.exp(-r * T) * max(s - K, 0.0)
    _dt15 = _dt18 * _t17
    _dt17 = _dt18 * _t15
    _dt16 = 0.0 if 0.0 > _t16 else _dt17 * (0.5 if _t16 == 0.0 else 1.0)
    ds += _dt16
    _dt14 = _dt15 * _t15
    _dt13 = _dt14 * T
    dr += -_dt13
    # gbm_call:15  for i in range(n):
    for i in range(n - 1, -1, -1):
        s = _saved_s[i]
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
        _dt12 = ds
        ds = _dt12 * _t11
        _dt11 = _dt12 * s
        _dt10 = _dt11 * _t11
        _dt7 = _dt10 * _t8
        dsigma += _dt7 * _t6
        _dt4 = _dt10 * dt
        dr += _dt4
        _dt3 = -_dt4
        _dt2 = _dt3 * sigma
        dsigma += _dt3 * _t2
        dsigma += _dt2 * 0.5
    # gbm_call:14  s = s0
    ds0 += ds
    # -- result
    # gbm_call:17  return math.exp(-r * T) * max(s - K, 0.0)
    return _t18, ds0, dsigma, dr


from numba import cuda
from numba import types as nbtypes


# the builtin max(a, b) on scalars, which Numba's CUDA target cannot type
def max(a, b):
    return b if b > a else a


# tape_need is shared by all threads
def tape_overflow(need, k, top):
    cuda.atomic.max(need, k, top + 1)


BLOCK_SUM_THREADS = 256


def gbm_call_grad_summed(s0, sigma, z, r, T, K, out_value, out_ds0, out_dsigma, out_dr, workspace_0, tape_need):
    """gbm_call_grad_element for element cuda.grid(1) of the batch (one thread each; sums: one partial per block)."""
    b = cuda.grid(1)
    thread = cuda.threadIdx.x
    el_value = 0.0
    el_dr = 0.0
    if b < s0.shape[0]:
        # this thread's tapes: its column of the global workspace
        _saved_s = workspace_0[:, b]
        el_value, out_ds0[b], out_dsigma[b], el_dr = gbm_call_grad_element(s0[b], sigma[b], z[b], r, T, K, _saved_s, tape_need)
    # the block's sums: a tree over shared memory
    sum_value = cuda.shared.array(BLOCK_SUM_THREADS, nbtypes.float64)
    sum_value[thread] = el_value
    sum_dr = cuda.shared.array(BLOCK_SUM_THREADS, nbtypes.float64)
    sum_dr[thread] = el_dr
    cuda.syncthreads()
    step = cuda.blockDim.x // 2
    while step > 0:
        if thread < step:
            sum_value[thread] += sum_value[thread + step]
            sum_dr[thread] += sum_dr[thread + step]
        cuda.syncthreads()
        step //= 2
    if thread == 0:
        out_value[cuda.blockIdx.x] = sum_value[0]
        out_dr[cuda.blockIdx.x] = sum_dr[0]
