"""Programs of the sixteenth session's user reports (imported by file, so the
determinism test can transform them in a fresh interpreter)."""
import numpy as np


def kalman_like(q, y):
    x = np.array([y[0], 0.0])
    P = np.eye(2)
    ll = 0.0
    for t in range(1, y.shape[0]):
        P = P @ P
        P[0, 0] += q[0]
        S = P[0, 0] + 1.0
        v = y[t] - x[0]
        K0 = P[0, 0] / S
        K1 = P[1, 0] / S
        x[0] += K0 * v
        x[1] += K1 * v
        P = np.array([[(1 - K0) * P[0, 0], (1 - K0) * P[0, 1]],
                      [P[1, 0] - K1 * P[0, 0], P[1, 1] - K1 * P[0, 1]]])
        ll += v * v / S
    return ll
