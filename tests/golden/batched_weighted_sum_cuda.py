import math

import numpy as np


def weighted_grad_element(x, w, dx, dw):
    """weighted_grad for one element of a batch, array gradients written into their rows."""
    # -- forward sweep
    # weighted:66  s = 0.0
    s = 0.0
    # -- reverse sweep
    # weighted:64  def weighted(x, w):
    for _i0 in range(dx.shape[0]):
        dx[_i0] = 0.0
    ds = 1.0
    # -- last loop: forward and reverse iterations fused
    # weighted:67  for i in range(x.shape[0]):
    for i in range(x.shape[0]):
        # weighted:68  s += w[i] * math.tanh(x[i]) ** 2
        _t1 = w[i]
        _t2 = x[i]
        _t3 = math.tanh(_t2)
        _t4 = _t3 ** 2
        _t5 = _t1 * _t4
        s += _t5
        _dt1 = ds * _t4
        _dt4 = ds * _t1
        _dt3 = _dt4 * 2 * _t3
        _dt2 = _dt3 * (1.0 - _t3 * _t3)
        dx[i] += _dt2
        atomic_add(dw, i, _dt1)
    # -- result
    # weighted:69  return s
    return s


from numba import cuda
from numba import types as nbtypes


# a summed gradient row is shared by the threads of many blocks
def atomic_add(row, index, value):
    cuda.atomic.add(row, index, value)


BLOCK_SUM_THREADS = 256


def weighted_grad_summed(x, w, out_value, out_dx, out_dw, tape_need):
    """weighted_grad_element for element cuda.grid(1) of the batch (one thread each; sums: one partial per block)."""
    b = cuda.grid(1)
    thread = cuda.threadIdx.x
    copy = b % out_dw.shape[0]
    el_value = 0.0
    if b < x.shape[0]:
        el_value = weighted_grad_element(x[b], w, out_dx[b], out_dw[copy])
    # the block's sums: a tree over shared memory
    sum_value = cuda.shared.array(BLOCK_SUM_THREADS, nbtypes.float64)
    sum_value[thread] = el_value
    cuda.syncthreads()
    step = cuda.blockDim.x // 2
    while step > 0:
        if thread < step:
            sum_value[thread] += sum_value[thread + step]
        cuda.syncthreads()
        step //= 2
    if thread == 0:
        out_value[cuda.blockIdx.x] = sum_value[0]
