"""Programs keeping small arrays of a fixed shape (2x2 matrices, 2- and
3-vectors) in loops, for passes/small_arrays.py (tests/core/test_small_arrays.py)."""
from __future__ import annotations

import math

import numba
import numpy as np


def kalman(log_q, log_r, y, dt):
    """A constant-velocity Kalman filter's negative log-likelihood: ``@``, ``.T``,
    ``np.outer``, a column and a row slice."""
    q = math.exp(log_q)
    r = math.exp(log_r)
    F = np.array([[1.0, dt], [0.0, 1.0]])
    Q = q * np.array([[dt ** 3 / 3.0, dt ** 2 / 2.0], [dt ** 2 / 2.0, dt]])
    x = np.array([y[0], 0.0])
    P = np.eye(2)
    nll = 0.0
    for t in range(y.shape[0]):
        x = F @ x
        P = F @ P @ F.T + Q
        S = P[0, 0] + r
        v = y[t] - x[0]
        K = P[:, 0] / S
        x = x + K * v
        P = P - np.outer(K, P[0, :])
        nll += 0.5 * (math.log(2.0 * math.pi * S) + v * v / S)
    return nll


def rotation(theta, p0, steps):
    """A point rotated by a matrix built from a parameter, element stores into
    a zero vector, ``np.dot``, a norm through ``np.sum``."""
    c = math.cos(theta)
    s = math.sin(theta)
    R = np.array([[c, -s], [s, c]])
    p = np.zeros(2)
    p[0] = p0[0]
    p[1] = p0[1]
    total = 0.0
    for k in range(steps):
        p = np.dot(R, p) * 0.99
        total += np.sum(p * p) + p[-1]
    return total


def orbit(gm, pos0, vel0, dt, steps):
    """A 3-vector integrator: broadcasting with scalars, ``**``, a ufunc, ``copy``."""
    pos = pos0.copy() * 1.0
    x = np.array([pos[0], pos[1], pos[2]])
    v = np.array([vel0[0], vel0[1], vel0[2]])
    energy = 0.0
    for k in range(steps):
        r2 = np.sum(x ** 2)
        a = -gm * x / (r2 * math.sqrt(r2))
        v = v + dt * a
        x = x + dt * v
        w = np.exp(-v * v).copy()
        energy += 0.5 * np.dot(v, v) - gm / math.sqrt(r2) + w[1]
    return energy


def mixed_forms(a, b, n):
    """``np.zeros((2, 2))``, ``np.ones``, ``.T`` of a sum, a vector broadcast
    against a matrix, ``@`` of two vectors, a negative index."""
    z = np.zeros(2)
    z[0] = a
    z[1] = b
    M = np.zeros((2, 2))
    M[0, 1] = a * b
    O = np.ones(3)
    s = 0.0
    for t in range(n):
        w = M.T + np.eye(2) + z
        u = np.dot(w, z)
        v = np.transpose(w) @ u
        s += v[-1] * np.sum(O) + u @ v + np.exp(u)[0]
        z = 0.5 * v
    return s


def shared_then_written(a, n):
    """A store through a second name of the same array: both names see it, so
    the arrays stay arrays."""
    x = np.array([a, 2.0 * a])
    s = 0.0
    for k in range(n):
        y = x
        y[0] = y[0] * 0.5 + a
        s += x[0] * x[1]
    return s


def added_in_place(a, n):
    """``x += d`` on an array another name shares: in place, seen through both."""
    x = np.array([a, 1.0])
    y = x
    s = 0.0
    for k in range(n):
        d = np.array([a * 0.1, 0.2])
        x += d
        s += y[0] * y[1]
    return s


def escapes(a, n):
    """A vector indexed by a loop variable, and one passed to ``np.linalg.norm``:
    both stay arrays, and so does what is computed from them."""
    v = np.array([a, 2.0, 3.0 * a])
    w = np.array([1.0, a, 0.5])
    s = 0.0
    for k in range(n):
        u = v * w
        for j in range(3):
            s += u[j] * a
        s += np.linalg.norm(w * a)
    return s


def escapes_any_count(a, n):
    """``escapes`` with an inner loop of a count not known when transformed
    (not written out): the vector indexed by it stays an array."""
    v = np.array([a, 2.0, 3.0 * a])
    w = np.array([1.0, a, 0.5])
    s = 0.0
    for k in range(n):
        u = v * w
        for j in range(n % 3 + 1):
            s += u[j] * a
        s += np.linalg.norm(w * a)
    return s


def pendulum_rhs(state, g, damping):
    return np.array([state[1], -g * math.sin(state[0]) - damping * state[1]])


def pendulum_rk4(g, damping, theta0, dt, steps):
    """RK4 on a 2-vector state, the right-hand side a helper returning a new array."""
    state = np.array([theta0, 0.0])
    for k in range(steps):
        k1 = pendulum_rhs(state, g, damping)
        k2 = pendulum_rhs(state + 0.5 * dt * k1, g, damping)
        k3 = pendulum_rhs(state + 0.5 * dt * k2, g, damping)
        k4 = pendulum_rhs(state + dt * k3, g, damping)
        state = state + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return state[0] ** 2 + 0.1 * state[1]


def scaled_through_second_name(a):
    """``x *= 2.0`` on a small array a second name reads."""
    x = np.array([a, 1.0])
    y = x
    x *= 2.0
    return y[0] * y[1]


def linear_algebra(a, b, c, n):
    """2x2 and 3x3 ``inv``, ``det``, ``solve``, ``norm``, ``cross`` and sums along
    an axis, as a small-state filter or a rigid-body step writes them."""
    A = np.array([[2.0 + a, b], [0.5 * c, 1.5 + a * c]])
    B = np.array([[3.0, a, 0.1], [b, 2.0 + c, 0.2], [0.3, a * b, 4.0]])
    u = np.array([a, b, c])
    s = 0.0
    for k in range(n):
        Ai = np.linalg.inv(A)
        x = np.linalg.solve(B, u)
        w = np.cross(u, x)
        s += np.linalg.det(A) + np.linalg.det(B) + np.sum(Ai) + np.linalg.norm(w)
        s += np.sum(np.max(B, axis=0)) + np.mean(np.sum(B, axis=1)) + np.prod(np.min(A, axis=-1))
        A = np.linalg.inv(A) * 0.9 + np.eye(2)
        u = x + 0.1 * w
    return s


def escaping_uses(a, target, n):
    """Uses the pass does not write (a parameter of unknown shape, a sum along an
    axis with ``keepdims``, a variable index, a return) read a new array made
    from the current elements; the rest stays scalars."""
    M = np.array([[a, 0.5], [0.2, 1.0 + a]])
    v = np.array([1.0, a])
    s = 0.0
    for k in range(n):
        v = M @ v * 0.5
        s += np.sum((M - target) ** 2) + np.sum(np.sum(M, axis=0, keepdims=True))
        s += v[k % 2]
    return s + np.sum(v)


def returns_small(a):
    """A small array returned: made an array at the return."""
    x = np.array([a, 2.0 * a])
    y = x * x
    return y


def stored_in_the_loop(x, w, steps):
    """Elements stored with constant indices inside the loop, the array read
    with an inner loop's index: it is made again inside the loop, after the
    stores (it was made once before the loop, and read stale)."""
    y = x.copy()
    k = np.zeros(2)
    for t in range(steps):
        k[0] = w * y[0]
        k[1] = w * y[1] * y[0]
        for i in range(2):
            y[i] = y[i] + k[i]
    return y[0] * y[1]


def stored_in_the_loop_any_count(x, w, steps):
    """``stored_in_the_loop`` with an inner loop whose count is not known when
    transformed: the array is made again inside the loop, after the stores."""
    y = x.copy()
    k = np.zeros(2)
    for t in range(steps):
        k[0] = w * y[0]
        k[1] = w * y[1] * y[0]
        for i in range(steps % 2 + 1):
            y[i] = y[i] + k[i]
    return y[0] * y[1]


# -- small parameters copied into a loop's state (shape_seeds) ----------------
def _oscillator(y, a):
    return np.array([y[1], -a * y[0] - 0.1 * y[1] ** 3])


def rk4_copied_state(y0, a, h, steps):
    """The state is a copy of a parameter: its length is the caller's."""
    y = y0.copy()
    for i in range(steps):
        k1 = _oscillator(y, a)
        k2 = _oscillator(y + 0.5 * h * k1, a)
        k3 = _oscillator(y + 0.5 * h * k2, a)
        k4 = _oscillator(y + h * k3, a)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y[0] ** 2 + y[1]


def rk4_listed_state(y0, a, h, steps):
    """The same math with the state's elements listed."""
    y = np.array([y0[0], y0[1]])
    for i in range(steps):
        k1 = _oscillator(y, a)
        k2 = _oscillator(y + 0.5 * h * k1, a)
        k3 = _oscillator(y + 0.5 * h * k2, a)
        k4 = _oscillator(y + h * k3, a)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y[0] ** 2 + y[1]


def damped_any_length(x0, c, steps):
    """Elementwise over a state of any length (the caller's)."""
    x = x0 * 1.0
    v = np.zeros_like(x0)
    for t in range(steps):
        v = v - 0.1 * (c * x + 0.2 * v)
        x = x + 0.1 * v
    return np.sum(x * x) + np.sum(x0 * v)


def covariance_steps(P0, F, q, steps):
    """A 2x2 covariance propagated: a matrix parameter copied into the state."""
    P = P0.copy()
    for t in range(steps):
        P = F @ P @ F.T + q * np.eye(2)
    return np.sum(P) + P[0, 1] * P0[1, 0]


def parameter_read_whole_in_a_call(y0, a, steps):
    """A use of the parameter the pass does not write (an argument to
    np.linalg.norm with an axis) reads the parameter itself."""
    y = y0.copy()
    for t in range(steps):
        y = y + 0.05 * _oscillator(y, a) * np.linalg.norm(y0.reshape(1, -1), axis=1)[0]
    return y[0] + y[1] ** 2


def parameter_written(y0, a, steps):
    """Written into: no specialization on its shape."""
    y0[0] = y0[0] * 1.0
    y = y0.copy()
    for t in range(steps):
        y = y + 0.05 * _oscillator(y, a)
    return y[0] + y[1] ** 2


# -- element loops over a small state (small_arrays._unrolled) --------------
def _pendulum_into(y, g, out):
    out[0] = y[1]
    out[1] = -g * math.sin(y[0])


def euler_output_buffer(y0, g, dt, n):
    """Numba style: a buffer filled by a helper, the state updated by an
    element loop (twice, the index read only in its loops)."""
    y = y0.copy()
    k = np.zeros(2)
    for s in range(n):
        _pendulum_into(y, g, k)
        for i in range(2):
            y[i] += dt * k[i]
        for i in range(2):
            y[i] = y[i] * (1.0 - 0.01 * dt)
    return y[0] + 0.5 * y[1] ** 2


def index_read_after_the_loop(y0, g, dt, n):
    """The index read after the loop: the loop stays."""
    y = y0.copy()
    k = np.zeros(2)
    i = 0
    for s in range(n):
        _pendulum_into(y, g, k)
        for i in range(2):
            y[i] += dt * k[i]
    return y[0] + y[1] * i


def kalman_2d(q, r, x0, obs, dt):
    """Two observed coordinates: the gain from ``np.linalg.solve`` with a matrix
    of right-hand sides, each step's observation a row ``obs[t]`` of a
    parameter of many rows (read element by element where the row's length is
    known: the compiled targets)."""
    F = np.eye(4)
    F[0, 2] = dt
    F[1, 3] = dt
    H = np.zeros((2, 4))
    H[0, 0] = 1.0
    H[1, 1] = 1.0
    Q = q * np.eye(4)
    R = r * np.eye(2)
    m = x0.copy()
    P = np.eye(4)
    ll = 0.0
    for t in range(obs.shape[0]):
        m = F @ m
        P = F @ P @ F.T + Q
        e = obs[t] - H @ m
        S = H @ P @ H.T + R
        Se = np.linalg.solve(S, e)
        K = np.linalg.solve(S, H @ P).T
        ll += -0.5 * (np.log(np.linalg.det(S)) + np.dot(e, Se))
        m = m + K @ e
        P = P - K @ S @ K.T
    return -ll


def rows_to_a_product(W, xs):
    """Each step's row ``xs[t]`` enters a product with a large matrix: it stays a
    row (a view), not elements made into an array again."""
    h = np.zeros(W.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(W @ xs[t] + 0.5 * h)
    return np.sum(h * h)


def two_compartments_rhs(y, ka, ke):
    """A right-hand side as Numba users write it: an empty array filled."""
    out = np.empty(2)
    out[0] = -ka * y[0]
    out[1] = ka * y[0] - ke * y[1]
    return out


def two_compartments(ka, ke, dose, dt, steps):
    """Midpoint steps of a two-compartment model (a dose at step 0 and half way)."""
    y = np.zeros(2)
    total = 0.0
    for k in range(steps):
        if k == 0 or k == steps // 2:
            y[0] += dose
        k1 = two_compartments_rhs(y, ka, ke)
        k2 = two_compartments_rhs(y + 0.5 * dt * k1, ka, ke)
        y = y + dt * k2
        total += y[1] * y[1]
    return total


@numba.njit
def turned(rot, X):
    th = np.sqrt(rot[0] * rot[0] + rot[1] * rot[1] + rot[2] * rot[2])
    w = rot / th
    return X * np.cos(th) + np.cross(w, X) * np.sin(th) + w * (np.dot(w, X) * (1.0 - np.cos(th)))


def reprojections(cams, X, cam_idx, pt_idx):
    # each observation's camera and point: rows at an index read from another
    # array (cams[cam_idx[o]]), rotated by 3-vector helpers
    err = 0.0
    for o in range(cam_idx.shape[0]):
        cam = cams[cam_idx[o]]
        Xc = turned(cam[0:3], X[pt_idx[o]]) + cam[3:6]
        u = cam[6] * Xc[0] / Xc[2]
        v = cam[6] * Xc[1] / Xc[2]
        err += u * u + v * v
    return err


def five_species(c0, k, tend):
    """Reaction rates into a five-element work array refilled in every trip of
    an adaptive ``while`` loop, then a loop over the species (found by a new
    user: its gradient ran 30x the primal, the work array re-made and kept on a
    list of arrays in every trip)."""
    c = c0.copy()
    dc = np.zeros(5)
    t = 0.0
    while t < tend:
        dc[0] = -k[0] * c[0]
        dc[1] = k[0] * c[0] - k[1] * c[1]
        dc[2] = k[1] * c[1] - k[0] * c[2]
        dc[3] = k[0] * c[2] - k[1] * c[3]
        dc[4] = k[1] * c[3]
        m = 0.0
        for s in range(5):
            m = max(m, abs(dc[s]))
        h = 0.05 / (1.0 + m)
        for s in range(5):
            c[s] += h * dc[s]
        t += h
    return c[0] * c[0] + 2.0 * c[2] * c[4] + c[3]


def sixteen_states(x0, a, n):
    """A loop over the sixteen elements of a state vector in each step (the
    most elements the pass writes as numbers)."""
    x = x0.copy()
    for it in range(n):
        for j in range(16):
            x[j] = x[j] - a * x[j] * x[j]
    s = 0.0
    for j in range(16):
        s += x[j] * (j + 1.0)
    return s


def kalman_predict(m, P, F, Q):
    mp = np.dot(F, m)
    Pp = np.dot(np.dot(F, P), F.T) + Q
    return mp, Pp


def kalman_transition_argument(y, F, q, r):
    """A Kalman filter whose transition matrix is an argument, read whole only
    inside the loop (through a helper returning a tuple) and the gain a slice:
    its 2x2 shape seeds the state's (found by a new user: every matrix an array
    on a list in every step, 3.2x the primal and a 10 s first call)."""
    m = np.zeros(2)
    m[0] = y[0]
    P = np.eye(2)
    Q = q * np.eye(2)
    nll = 0.0
    for t in range(y.shape[0]):
        mp, Pp = kalman_predict(m, P, F, Q)
        s = Pp[0, 0] + r
        v = y[t] - mp[0]
        K = Pp[:, 0] / s
        m = mp + K * v
        P = Pp - np.outer(K, Pp[0, :])
        nll += 0.5 * (math.log(2.0 * math.pi * s) + v * v / s)
    return nll


def rows_of_a_read_matrix(a, axes, nt):
    """A 3x3 argument read whole in the loop (so its shape seeds the pass) and
    by a row at an index the loop computes (a running rotation): the row's
    elements are read from the argument where the row was (found with a
    probe: the pass failed inside, unable to pick the row's elements)."""
    R = np.eye(3)
    for t in range(nt):
        k = t % 3
        axis = axes[k]
        R = np.dot(R, axes) * 0.5 + a[k] * np.outer(axis, axis)
        R = R / np.sqrt(np.sum(R * R))
    return R[0, 0] + R[1, 2]


def rows_at_a_remainder(a, axes, nt):
    """A row at ``t % 3`` of a 3x3 argument, its outer product into a running
    3x3 product (a new user's: the product stayed an array kept on a list in
    every step, 95 ms a gradient against 3.3 ms with the row's elements read)."""
    R = np.eye(3)
    for t in range(nt):
        axis = axes[t % 3]
        R = np.dot(R, a[t % 3] * np.outer(axis, axis) + np.eye(3))
        R = R / np.sqrt(np.sum(R * R))
    return R[0, 0]


def _turn(axis, th):
    c = math.cos(th)
    s = math.sin(th)
    K = np.array([[0.0, -axis[2], axis[1]],
                  [axis[2], 0.0, -axis[0]],
                  [-axis[1], axis[0], 0.0]])
    return c * np.eye(3) + s * K + (1.0 - c) * np.outer(axis, axis)


def arm_orientation(q, axes, Rgoal, nt):
    """A rotation made afresh in each step (``R = np.eye(3)`` in the loop) from
    the rows of an argument, scored by ``np.trace(R.T @ Rgoal)`` (a new user's
    3-link arm: ``Rgoal``, read whole only there, had no known shape, and every
    3x3 matrix stayed an array on a list: 31 ms a gradient, 1.5 ms now)."""
    loss = 0.0
    for t in range(nt):
        R = np.eye(3)
        for j in range(3):
            R = np.dot(R, _turn(axes[j], q[j] * (t + 1.0)))
        loss += 3.0 - np.trace(R.T @ Rgoal)
    return loss / nt


def covariance_history(a11, a12, a21, a22, q, ys):
    """A 2x2 covariance recursion that keeps each step's matrix and state in
    history arrays (``Ph[t] = P``, ``xh[t] = x``), as a smoother's forward pass
    must (a new user's RTS smoother: the two stores kept every 2x2 matrix an
    array on a list, 2.6 ms a gradient against 0.022 ms without them)."""
    T = ys.shape[0]
    A = np.array([[a11, a12], [a21, a22]])
    Ph = np.zeros((T, 2, 2))
    xh = np.zeros((T, 2))
    P = np.eye(2)
    x = np.zeros(2)
    tot = 0.0
    for t in range(T):
        C = A @ P @ A.T + q * np.eye(2)
        S = C + np.eye(2)
        K = C @ np.linalg.inv(S)
        x = A @ x + K @ (ys[t] - A @ x)
        P = C - K @ C
        Ph[t] = P
        xh[t] = x
        tot += np.log(np.linalg.det(S)) + P[0, 0] * ys[t, 0]
    return tot + np.sum(Ph * Ph) + np.sum(xh[:, 1])


def covariance_history_sliced(a11, a12, a21, a22, q, ys):
    """The same, the rows written ``Ph[t, :, :] = P`` and ``xh[t, :] = x``."""
    T = ys.shape[0]
    A = np.array([[a11, a12], [a21, a22]])
    Ph = np.zeros((T, 2, 2))
    xh = np.zeros((T, 2))
    P = np.eye(2)
    x = np.zeros(2)
    tot = 0.0
    for t in range(T):
        C = A @ P @ A.T + q * np.eye(2)
        S = C + np.eye(2)
        K = C @ np.linalg.inv(S)
        x = A @ x + K @ (ys[t] - A @ x)
        P = C - K @ C
        Ph[t, :, :] = P
        xh[t, :] = x
        tot += np.log(np.linalg.det(S)) + P[0, 0] * ys[t, 0]
    return tot + np.sum(Ph * Ph) + np.sum(xh[:, 1])


def history_of_another_shape(a, ys):
    """A 2-vector stored into rows of length 3 (``xh[t, :2] = x`` would be
    right; ``xh[t] = x`` broadcasts nothing and NumPy refuses it): not taken
    as a row store, the vector stays an array."""
    T = ys.shape[0]
    xh = np.zeros((T, 3))
    x = np.zeros(2)
    for t in range(T):
        x = a * x + ys[t]
        xh[t, :2] = x
    return np.sum(xh * xh)
