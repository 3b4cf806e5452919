"""A program whose compiled form gets one of Numba's performance hints (tests/core/test_warnings.py)."""
import numpy as np


def strided_product(A, v):
    return np.sum(np.dot(A[:, ::2], v) ** 2)
