"""Benchmark: ADBench's Gaussian mixture objective (GMM) with a Wishart prior.

Parameters (as in ADBench, Srajer, Schkufza, Fitzgibbon 2018):

* ``alphas`` (k,): logs of the unnormalized mixture weights;
* ``means`` (k, d): the component means;
* ``icf`` (k, d(d+1)/2): per component, the inverse covariance factor ``L``,
  lower triangular: first the logs of its diagonal ``q``, then its strictly
  lower entries column by column (``L[1,0], L[2,0], ..., L[d-1,0], L[2,1], ...``);
* ``x`` (n, d): the points (not differentiated); Wishart prior ``gamma = 1``,
  ``m = 0``.

The objective (the log-likelihood plus the log Wishart prior) is

    sum_i logsumexp_c(alpha_c + sum(q_c) - |L_c (x_i - mu_c)|^2 / 2)
      - n logsumexp(alpha) + sum_c (gamma^2 / 2 (|exp(q_c)|^2 + |offdiag(L_c)|^2) - m sum(q_c))
      + constant,

the constant being ``-n d log(2 pi) / 2 - k (n_w d (log gamma - log(2) / 2) -
log Gamma_d(n_w / 2))`` with ``n_w = d + m + 1``.

sourcediff differentiates ``gmm_objective`` below, written as a Numba user
would (explicit loops over points and components, scratch arrays, logsumexp
by max-subtraction); peers run the vectorized formula.
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "ADBench GMM objective with Wishart prior (float64)"
SIZES = {
    "small": {"d": 3, "k": 5, "n": 200},
    "default": {"d": 10, "k": 25, "n": 10_000},
    "large": {"d": 20, "k": 50, "n": 20_000},
}
WRT = ("alphas", "means", "icf")
RTOL = 1e-9
TARGETS = {"faster_than": ("jax",)}
EXTRA_TOOLS = {"numba-hand": "hand_adjoint"}
NOTES = """
Where sourcediff's time goes (read the adjoint with
`sourcediff show sourcediff.bench.gmm:gmm_objective --wrt 0,1,2`): the loop
over points runs fused (each reverse iteration right after its forward one), so
its tapes hold one point. Per (point, component), the scratch arrays
`xcentered` and `qxcentered` (written whole in each iteration, read nowhere
else) and the counter `entry` are kept as the component's iteration leaves
them, a row per component (2 d + 1 values), and the reverse iteration reads
the rows in place: re-running the triangular product (d * d / 2 operations)
would cost more (passes/rerun.py `_keep`). The tape also holds the old
`main_term[c]` (k values) and the logsumexp loop's running maximum `largest`
(k per point). The `numba-hand` row recomputes each pair's product in its
reverse loop instead; the triangular product's reverse counts down in the
generated adjoint (undoing `entry -= 1` step by step), up in the hand-written
one.
"""


def gmm_objective(alphas, means, icf, x, wishart_gamma, wishart_m, constant):
    """The GMM objective as plain loops (what sourcediff differentiates)."""
    n = x.shape[0]
    d = x.shape[1]
    k = alphas.shape[0]
    # exp of the log-diagonals and their sums, once per component
    qdiags = np.zeros((k, d))
    sum_qs = np.zeros(k)
    for c in range(k):
        for j in range(d):
            qdiags[c, j] = math.exp(icf[c, j])
            sum_qs[c] += icf[c, j]
    xcentered = np.zeros(d)
    qxcentered = np.zeros(d)
    main_term = np.zeros(k)
    slse = 0.0
    for i in range(n):
        for c in range(k):
            # qxcentered = L_c (x_i - mu_c), L_c lower triangular
            for j in range(d):
                xcentered[j] = x[i, j] - means[c, j]
                qxcentered[j] = qdiags[c, j] * xcentered[j]
            entry = d
            for j in range(d):
                for row in range(j + 1, d):
                    qxcentered[row] += icf[c, entry] * xcentered[j]
                    entry += 1
            sqnorm = 0.0
            for j in range(d):
                sqnorm += qxcentered[j] * qxcentered[j]
            main_term[c] = alphas[c] + sum_qs[c] - 0.5 * sqnorm
        # logsumexp over the components, by max-subtraction
        largest = main_term[0]
        for c in range(1, k):
            largest = max(largest, main_term[c])
        total = 0.0
        for c in range(k):
            total += math.exp(main_term[c] - largest)
        slse += math.log(total) + largest
    largest_alpha = alphas[0]
    for c in range(1, k):
        largest_alpha = max(largest_alpha, alphas[c])
    total_alpha = 0.0
    for c in range(k):
        total_alpha += math.exp(alphas[c] - largest_alpha)
    lse_alphas = math.log(total_alpha) + largest_alpha
    # log Wishart prior, without its constant
    prior = 0.0
    for c in range(k):
        frobenius = 0.0
        for j in range(d):
            frobenius += qdiags[c, j] * qdiags[c, j]
        for j in range(d, icf.shape[1]):
            frobenius += icf[c, j] * icf[c, j]
        prior += 0.5 * wishart_gamma * wishart_gamma * frobenius - wishart_m * sum_qs[c]
    return constant + slse - n * lse_alphas + prior


def gmm_value_and_grad_by_hand(alphas, means, icf, x, wishart_gamma, wishart_m, constant):
    """A hand-written adjoint of ``gmm_objective`` (no tape): per point, the component
    terms are computed once for the logsumexp weights, then recomputed in the reverse
    loop that accumulates the gradients."""
    n = x.shape[0]
    d = x.shape[1]
    k = alphas.shape[0]
    qdiags = np.exp(icf[:, :d])
    sum_qs = icf[:, :d].sum(axis=1)
    d_alphas = np.zeros(k)
    d_means = np.zeros((k, d))
    d_icf = np.zeros_like(icf)
    d_qdiags = np.zeros((k, d))
    d_sum_qs = np.zeros(k)
    xcentered = np.zeros(d)
    qxcentered = np.zeros(d)
    d_qx = np.zeros(d)
    main_term = np.zeros(k)
    slse = 0.0
    for i in range(n):
        for c in range(k):
            for j in range(d):
                xcentered[j] = x[i, j] - means[c, j]
                qxcentered[j] = qdiags[c, j] * xcentered[j]
            entry = d
            for j in range(d):
                for row in range(j + 1, d):
                    qxcentered[row] += icf[c, entry] * xcentered[j]
                    entry += 1
            sqnorm = 0.0
            for j in range(d):
                sqnorm += qxcentered[j] * qxcentered[j]
            main_term[c] = alphas[c] + sum_qs[c] - 0.5 * sqnorm
        largest = main_term.max()
        lse = math.log(np.exp(main_term - largest).sum()) + largest
        slse += lse
        for c in range(k):
            weight = math.exp(main_term[c] - lse)  # d lse / d main_term[c]
            d_alphas[c] += weight
            d_sum_qs[c] += weight
            # recompute L_c (x_i - mu_c), then its adjoint: d sqnorm = -weight / 2
            for j in range(d):
                xcentered[j] = x[i, j] - means[c, j]
                qxcentered[j] = qdiags[c, j] * xcentered[j]
            entry = d
            for j in range(d):
                for row in range(j + 1, d):
                    qxcentered[row] += icf[c, entry] * xcentered[j]
                    entry += 1
            for j in range(d):
                d_qx[j] = -weight * qxcentered[j]
            entry = d
            for j in range(d):
                d_xc = qdiags[c, j] * d_qx[j]
                d_qdiags[c, j] += d_qx[j] * xcentered[j]
                for row in range(j + 1, d):
                    d_icf[c, entry] += d_qx[row] * xcentered[j]
                    d_xc += icf[c, entry] * d_qx[row]
                    entry += 1
                d_means[c, j] -= d_xc
    largest_alpha = alphas.max()
    lse_alphas = math.log(np.exp(alphas - largest_alpha).sum()) + largest_alpha
    d_alphas -= n * np.exp(alphas - lse_alphas)
    gamma2 = wishart_gamma * wishart_gamma
    frobenius = (qdiags * qdiags).sum() + (icf[:, d:] * icf[:, d:]).sum()
    prior = 0.5 * gamma2 * frobenius - wishart_m * sum_qs.sum()
    d_qdiags += gamma2 * qdiags
    d_icf[:, d:] += gamma2 * icf[:, d:]
    d_sum_qs -= wishart_m
    for c in range(k):
        for j in range(d):
            d_icf[c, j] += d_qdiags[c, j] * qdiags[c, j] + d_sum_qs[c]
    value = constant + slse - n * lse_alphas + prior
    return value, (d_alphas, d_means, d_icf)


def log_multigamma(a: float, p: int) -> float:
    """log Gamma_p(a), the multivariate gamma function."""
    return 0.25 * p * (p - 1) * math.log(math.pi) + sum(
        math.lgamma(a + 0.5 * (1 - j)) for j in range(1, p + 1))


def objective_constant(d: int, k: int, n: int, wishart_gamma: float, wishart_m: int) -> float:
    """The terms of the objective that depend on no parameter."""
    n_w = d + wishart_m + 1
    prior_c = n_w * d * (math.log(wishart_gamma) - 0.5 * math.log(2.0)) \
        - log_multigamma(0.5 * n_w, d)
    return -n * d * 0.5 * math.log(2.0 * math.pi) - k * prior_c


def make_data(size: str) -> dict:
    """Inputs drawn as ADBench's generator does (normal alphas and icf, uniform
    means, normal points), fixed seed."""
    d, k, n = (SIZES[size][key] for key in ("d", "k", "n"))
    rng = np.random.default_rng(0)
    wishart_gamma, wishart_m = 1.0, 0
    return {
        "alphas": rng.standard_normal(k),
        "means": rng.uniform(0.0, 1.0, (k, d)),
        "icf": rng.standard_normal((k, d * (d + 1) // 2)),
        "x": rng.standard_normal((n, d)),
        "wishart_gamma": wishart_gamma,
        "wishart_m": float(wishart_m),
        "constant": objective_constant(d, k, n, wishart_gamma, wishart_m),
    }


def wrt_values(data: dict) -> tuple:
    """The differentiated inputs, in ``WRT`` order."""
    return data["alphas"], data["means"], data["icf"]


def _fixed(data: dict) -> tuple:
    return data["x"], data["wishart_gamma"], data["wishart_m"], data["constant"]


def primal(data: dict):
    """``gmm_objective`` compiled with ``numba.njit``."""
    import numba

    compiled = numba.njit(cache=True)(gmm_objective)
    fixed = _fixed(data)
    return lambda alphas, means, icf: compiled(alphas, means, icf, *fixed)


def sourcediff(data: dict):
    """``sd.value_and_grad(gmm_objective, wrt=(0, 1, 2), target="cpu")``."""
    import sourcediff as sd

    value_and_grad = sd.value_and_grad(gmm_objective, wrt=(0, 1, 2), target="cpu")
    args = (*wrt_values(data), *_fixed(data))
    return lambda: value_and_grad(*args)


def hand_adjoint(data: dict):
    """``gmm_value_and_grad_by_hand`` compiled with ``numba.njit``: what a tape-free
    adjoint of the same loops costs."""
    import numba

    by_hand = numba.njit(cache=True)(gmm_value_and_grad_by_hand)
    args = (*wrt_values(data), *_fixed(data))
    return lambda: by_hand(*args)


def _lower_indices(d: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the strictly lower entries of L in icf's (column-major) order."""
    pairs = [(row, col) for col in range(d) for row in range(col + 1, d)]
    return np.array([p[0] for p in pairs], dtype=np.int64), \
        np.array([p[1] for p in pairs], dtype=np.int64)


def peer_jax(data: dict):
    """JAX ``jit(value_and_grad)`` of the vectorized objective, float64."""
    from .harness import import_jax

    jax = import_jax()
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp

    k, d = data["means"].shape
    n = data["x"].shape[0]
    rows, cols = _lower_indices(d)

    def objective(alphas, means, icf, x, wishart_gamma, wishart_m, constant):
        qs = icf[:, :d]
        qdiags = jnp.exp(qs)
        sum_qs = jnp.sum(qs, axis=1)
        lower = jnp.zeros((k, d, d)).at[:, rows, cols].set(icf[:, d:])
        xcentered = x[:, None, :] - means[None, :, :]
        qx = qdiags[None] * xcentered + jnp.einsum("kij,nkj->nki", lower, xcentered)
        main_term = alphas + sum_qs - 0.5 * jnp.sum(qx * qx, axis=2)
        frobenius = jnp.sum(qdiags**2, axis=1) + jnp.sum(icf[:, d:] ** 2, axis=1)
        prior = jnp.sum(0.5 * wishart_gamma**2 * frobenius - wishart_m * sum_qs)
        return constant + jnp.sum(logsumexp(main_term, axis=1)) - n * logsumexp(alphas) + prior

    value_and_grad = jax.jit(jax.value_and_grad(objective, argnums=(0, 1, 2)))
    args = tuple(jnp.asarray(a) for a in (*wrt_values(data), data["x"])) + _fixed(data)[1:]
    return lambda: jax.block_until_ready(value_and_grad(*args))


def peer_torch(data: dict):
    """PyTorch eager value and gradient of the vectorized objective, float64, one thread."""
    from .harness import import_torch

    torch = import_torch()
    k, d = data["means"].shape
    n = data["x"].shape[0]
    rows, cols = (torch.from_numpy(i) for i in _lower_indices(d))
    params = [torch.from_numpy(a.copy()) for a in wrt_values(data)]
    x = torch.from_numpy(data["x"])
    wishart_gamma, wishart_m, constant = _fixed(data)[1:]

    def value_and_grad():
        alphas, means, icf = (p.detach().requires_grad_(True) for p in params)
        qs = icf[:, :d]
        qdiags = torch.exp(qs)
        sum_qs = qs.sum(dim=1)
        lower = torch.zeros((k, d, d), dtype=icf.dtype)
        lower[:, rows, cols] = icf[:, d:]
        xcentered = x[:, None, :] - means[None, :, :]
        qx = qdiags[None] * xcentered + torch.einsum("kij,nkj->nki", lower, xcentered)
        main_term = alphas + sum_qs - 0.5 * (qx * qx).sum(dim=2)
        frobenius = (qdiags**2).sum(dim=1) + (icf[:, d:] ** 2).sum(dim=1)
        prior = (0.5 * wishart_gamma**2 * frobenius - wishart_m * sum_qs).sum()
        value = constant + torch.logsumexp(main_term, dim=1).sum() \
            - n * torch.logsumexp(alphas, dim=0) + prior
        grads = torch.autograd.grad(value, (alphas, means, icf))
        return value.item(), grads

    return value_and_grad


def peer_autograd(data: dict):
    """HIPS autograd ``value_and_grad`` of the vectorized objective (NumPy)."""
    import autograd
    import autograd.numpy as anp

    k, d = data["means"].shape
    n = data["x"].shape[0]
    rows, cols = _lower_indices(d)
    # autograd has no index assignment: scatter the lower entries with a 0/1 matrix
    scatter = np.zeros((len(rows), d * d))
    scatter[np.arange(len(rows)), rows * d + cols] = 1.0
    x = data["x"]
    wishart_gamma, wishart_m, constant = _fixed(data)[1:]

    def logsumexp(a, axis):
        largest = anp.max(a, axis=axis, keepdims=True)
        return anp.log(anp.sum(anp.exp(a - largest), axis=axis)) + anp.squeeze(largest, axis)

    def objective(alphas, means, icf):
        qs = icf[:, :d]
        qdiags = anp.exp(qs)
        sum_qs = anp.sum(qs, axis=1)
        lower = anp.reshape(anp.dot(icf[:, d:], scatter), (k, d, d))
        xcentered = x[:, None, :] - means[None, :, :]
        qx = qdiags[None] * xcentered + anp.einsum("kij,nkj->nki", lower, xcentered)
        main_term = alphas + sum_qs - 0.5 * anp.sum(qx * qx, axis=2)
        frobenius = anp.sum(qdiags**2, axis=1) + anp.sum(icf[:, d:] ** 2, axis=1)
        prior = anp.sum(0.5 * wishart_gamma**2 * frobenius - wishart_m * sum_qs)
        return constant + anp.sum(logsumexp(main_term, 1)) - n * logsumexp(alphas, 0) + prior

    value_and_grad = autograd.value_and_grad(objective, argnum=(0, 1, 2))
    args = wrt_values(data)
    return lambda: value_and_grad(*args)
