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
        dw[i] += _dt1
    # -- result
    # weighted:69  return s
    return s


from numba import prange


def weighted_grad_summed(x, w, out_value, out_dx, out_dw, tape_need):
    """weighted_grad_element for each element of the batch: chunks of the batch in parallel, each with its own tapes, writing only its own rows; sums: one partial per chunk."""
    n_elements = x.shape[0]
    n_chunks = tape_need.shape[0]
    for chunk in prange(n_chunks):
        sum_value = 0.0
        for b in range(chunk * n_elements // n_chunks, (chunk + 1) * n_elements // n_chunks):
            el_value = weighted_grad_element(x[b], w, out_dx[b], out_dw[chunk])
            sum_value += el_value
        out_value[chunk] = sum_value
