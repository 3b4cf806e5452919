"""Whole programs as a user would write them: ODE integrators calling helpers,
array rebinding in loops, views, reductions with axis, tuple-returning helpers."""
import math

import numpy as np


def rhs(y, k):
    out = np.empty_like(y)
    out[0] = y[1]
    out[1] = -k * y[0] - 0.1 * y[1]
    return out

def ode_euler(y0, k):
    y = y0.copy()
    h = 0.01
    for t in range(100):
        y = y + h * rhs(y, k)
    return y[0] ** 2 + y[1]

def arr_rebind(x):
    for i in range(3):
        x = np.sin(x) * 0.5 + x
    return np.sum(x * x)

def matvec_loop(A, x):
    v = x.copy()
    for it in range(4):
        v = np.tanh(A @ v)
    return np.dot(v, v)

def nested_ret(x):
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[0]):
            s += x[i] * x[j]
            if s > 2.0:
                return s * s
    return s

def while_arr(x):
    y = x.copy()
    k = 0
    while np.sum(y * y) > 0.1 and k < 50:
        y = y * 0.8 + 0.01 * np.sin(y)
        k += 1
    return np.sum(y)

def cond_expr_loop(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s += (x[i] * w if x[i] > 0 else x[i] ** 2)
    return s

def cont_while(x):
    s = 0.0
    i = 0
    while i < x.shape[0]:
        i += 1
        if x[i - 1] < 0:
            continue
        s += math.sqrt(x[i - 1]) * s + x[i - 1]
    return s

def slice_loop(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += np.sum(x[i:i + 2] ** 2) * x[i]
    return s

def two_d(A):
    n, m = A.shape
    s = 0.0
    for i in range(n):
        for j in range(m):
            s += A[i, j] * A[j % n, i % m]
    return s + np.sum(A.T @ A)

def f32(x):
    s = np.float32(0.0)
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    return s

def where_clip(x):
    y = np.where(x > 0.2, x * x, -x)
    z = np.clip(y, 0.05, 0.5)
    return np.sum(z * x) + np.max(x) - np.min(x)

def reshape_T(x):
    M = x.reshape((2, 3))
    return np.sum(M.T @ M) + np.mean(M, axis=1)[0] + np.sum(np.max(M, axis=0))

def scratch2(x):
    n = x.shape[0]
    buf = np.zeros(n)
    tot = 0.0
    for k in range(3):
        for i in range(n):
            buf[i] = buf[i] * 0.5 + x[i] * k
        for i in range(1, n):
            buf[i] += buf[i - 1] * 0.1
        tot += np.sum(np.sin(buf))
    return tot

def helper_arr(v, w):
    return np.exp(-v * w)

def calls_arr(x, w):
    y = helper_arr(x, w)
    z = helper_arr(y, 2.0)
    return np.sum(z * y)

def tuple_ret(a, b):
    return a * b, a + b

def uses_tuple_ret(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        p, q = tuple_ret(x[i], x[i + 1])
        s += p * q
    return s

def prod_axis(A):
    return np.sum(np.prod(A, axis=0)) + np.prod(A[0])

def power_stuff(x, y):
    return x ** y + y ** 2.5 + 2.0 ** x + abs(x - y) + max(x, y, 0.3) + min(x * y, 1.0)


def alias_write(x):
    u = x
    u[0] = 5.0
    return np.sum(x * x)


def view_write(x):
    v = x[1:3]
    x[1] = 2.0
    return np.sum(v * v)


def slices_without_alias(x):
    b = np.zeros(3)
    b[0] = x[0]
    b[1:3] = x[1:3] * 2.0
    return np.sum(b[0:2] * b[1:3])
def h_fill(out, x):
    for i in range(x.shape[0]):
        out[i] = math.sin(x[i]) * x[i]

def writes(x):
    out = np.zeros(x.shape[0])
    h_fill(out, x)
    return np.sum(out * out * x)

def step(u, v, dt):
    for i in range(u.shape[0]):
        u[i] += dt * v[i]
        v[i] -= dt * math.sin(u[i])

def leapfrog(u0, v0):
    u = u0.copy()
    v = v0.copy()
    for t in range(20):
        step(u, v, 0.1)
    return np.sum(u * v)


def rk4(x, v, w, dt):
    k1x = v
    k1v = -w * w * x
    k2x = v + 0.5 * dt * k1v
    k2v = -w * w * (x + 0.5 * dt * k1x)
    return x + dt * k2x, v + dt * k2v


def oscillator(p, n):
    x = 1.0
    v = 0.0
    for t in range(n):
        x, v = rk4(x, v, p[0], 0.1)
    return x * x + p[1] * v


# -- more programs as a new user writes them --------------------------------
W = np.array([0.5, -1.0, 2.0])
K = 3.0

def swap_loop(x, y):
    for i in range(4):
        x, y = y, x * math.sin(y)
    return x + y

def branch_assign(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0.3:
            t = x[i] ** 2
        else:
            t = math.exp(x[i])
        s += t * s + t
    return s

def slice_rebind(x):
    s = 0.0
    while x.shape[0] > 1:
        s += x[0] * x[1]
        x = x[1:]
    return s

def ret_elem(x):
    return x[1]

def ret_param(x):
    return x

def ret_const(x):
    return 3.0

def int_mix(x, n):
    return x * n + n ** 2

def neg_step_break(x):
    s = 0.0
    for i in range(x.shape[0] - 1, -1, -1):
        s += x[i] * s + x[i]
        if s > 3.0:
            break
    return s

def while_true(x):
    y = x
    while True:
        y = y * 0.5 + math.sin(y)
        if abs(y) < 2.0:
            break
    return y

def grows_rows(x, n):
    """An array longer by one each iteration: its values go in a list."""
    y = x
    for i in range(n):
        y = np.concatenate((y, y[:1] * 0.5))
    return np.sum(y * y)

def inner(a, b):
    return a * np.sum(b * b)

def outer(a, b):
    return inner(a, b) + inner(b[0], b * a)

def axis_loop(A):
    r = np.sum(A, axis=1)
    s = 0.0
    for i in range(r.shape[0]):
        s += r[i] ** 2
    return s

def quad(A, x):
    return x.T @ A @ x

def mixed_returns(x):
    if x > 10.0:
        return 0
    return x * x

def self_ref(x):
    s = 1.0
    for i in range(x.shape[0]):
        s = s * 0.5 + x[i] * s
    return s

def elem_mul(x):
    a = np.ones(x.shape[0])
    for k in range(2):
        for i in range(x.shape[0]):
            a[i] *= x[i] + k
    return np.sum(a)

def flag(x, neg):
    if neg:
        return -x * x
    return x * x

def globals_use(x):
    return np.sum(W * x) * K + math.pi * x[0] + np.pi

def powers(x):
    return x ** 0.5 + x ** -1 + 2 ** x + abs(-x)

def relu_loop(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += max(x[i], 0.0) * x[i]
    return s

def sigmoid(x):
    return np.sum(np.exp(-x) / (1.0 + np.exp(-x)))

def float_i(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += float(i) * x[i] ** 2
    return s

def full_slice(x):
    y = np.zeros_like(x)
    y[:] = x * 2.0
    return np.sum(y * x)

def reversed_slice(x):
    return np.sum(x[::-1] * x)

def rows(A):
    s = 0.0
    for i in range(A.shape[0]):
        s += np.sum(A[i, :] * A[i, :]) * A[i, 0]
    return s

def make_closure(c):
    def f(x):
        return c * x * x
    return f

closure_f = make_closure(2.5)

def size_len(x):
    return x.size * np.sum(x) + len(x) * x[0]


# -- loop-carried state (saved once per iteration, body recomputed) ----------
def carried_read_after(x, n):
    s = x
    t = 0.0
    for i in range(n):
        u = math.sin(s) * 0.9
        s = u + 0.1 * s
        t += s * s          # s read after its assignment: not a snapshot variable
    return t


def carried_nested(x, w):
    a = x
    for i in range(3):
        b = a
        for j in range(4):
            c = math.cos(b) * w
            b = b + 0.1 * c
        a = a * 0.5 + b * b
    return a


def carried_while(x):
    y = x
    k = 0
    while k < 6:
        z = math.tanh(y) + 0.3
        y = y * z
        k += 1
    return y


def carried_break(x, limit):
    y = x
    for i in range(50):
        d = math.exp(-y) * 0.5
        y = y + d
        if y > limit:
            break
    return y * y


def lorenz_rk4(p, x0, n):
    sigma = p[0]
    rho = p[1]
    beta = p[2]
    dt = 0.001
    x = x0
    y = 1.0
    z = 1.0
    for k in range(n):
        k1x = sigma * (y - x)
        k1y = x * (rho - z) - y
        k1z = x * y - beta * z
        x2 = x + 0.5 * dt * k1x
        y2 = y + 0.5 * dt * k1y
        z2 = z + 0.5 * dt * k1z
        k2x = sigma * (y2 - x2)
        k2y = x2 * (rho - z2) - y2
        k2z = x2 * y2 - beta * z2
        x = x + dt * k2x
        y = y + dt * k2y
        z = z + dt * k2z
    return x + y + z


def column_broadcast(a, b):
    # a has shape (n, 1) and is broadcast along b's columns
    return np.sum(a * b + a)


def tape_name_clash(x, a, n):
    # found by the random programs: the tapes of `t2` and of the temporary `_t2`
    # were given one name (the cpu target could not type it)
    s0 = math.sin(a)
    s1 = 1.0
    tmp = np.zeros(2)
    for i in range(n):
        c1 = 0
        while c1 < 2:
            c1 += 1
            t2 = (s1 - 1.5) ** 2
            s1 -= x[i]
            tmp[1] = math.log(1.0 + s0 * s0) * (s0 * s1)
            s1 += math.sin(t2) - tmp[0]
        s1 = (a * tmp[0]) + x[i + 1]
    return s0 + s1


def counter_index(p, x, n):
    # GMM-style packed lower triangle read through a running counter
    d = x.shape[0]
    s = 0.0
    for i in range(n):
        entry = d
        for j in range(d):
            for r in range(j + 1, d):
                s += p[entry] * x[j] * x[r] * (i + 1)
                entry += 1
    return s


def counter_skips(x, n):
    # the counter also moves in a loop with nothing to differentiate
    k = 0
    s = 0.0
    for i in range(n):
        s = s * 0.5 + x[k] ** 2
        k += 1
        for j in range(2):
            k += 1
        if s > 0.3:
            k -= 1
    return s


def counter_dot(a, x):
    # the last loop (fused when nothing is taped) moves an int counter
    s = 0.0
    k = 0
    for i in range(x.shape[0]):
        s += a[k] * x[i] * x[i]
        k += 1  # noqa: SIM113  (the pattern under test)
    return s
