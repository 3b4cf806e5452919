"""An LSTM-like recurrent cell run over a sequence, with a linear readout.

    z = Wx x_t + Wh h + b                     (4 blocks of ``hidden``)
    c = sigmoid(z_f) c + sigmoid(z_i) tanh(z_g)
    h = sigmoid(z_o) tanh(c)
    loss = sum_t <w_out, h_t>

Differentiated with respect to ``Wx``, ``Wh`` and ``b``. Two ways of writing
the cell: with helper functions (``sigmoid``, a cell update that writes into
the ``c`` and ``h`` it is passed), and everything inline.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

TITLE = "LSTM-like recurrent cell (np.dot, sigmoid/tanh)"
SIZES = {
    "small": {"steps": 6, "inputs": 3, "hidden": 4},
    "default": {"steps": 1000, "inputs": 8, "hidden": 16},
    "large": {"steps": 2000, "inputs": 16, "hidden": 32},
}
WRT = (0, 1, 2)
WRT_NAMES = ("Wx", "Wh", "b")
RTOL = 1e-9


@njit(cache=True)
def sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


@njit(cache=True)
def cell_update(z, c, h):
    """The gates from ``z``; ``c`` and ``h`` updated in place."""
    hidden = h.shape[0]
    for j in range(hidden):
        i_gate = sigmoid(z[j])
        f_gate = sigmoid(z[hidden + j])
        o_gate = sigmoid(z[2 * hidden + j])
        g = math.tanh(z[3 * hidden + j])
        c[j] = f_gate * c[j] + i_gate * g
        h[j] = o_gate * math.tanh(c[j])


def lstm_helpers(Wx, Wh, b, xs, w_out):
    """The cell as helper calls."""
    hidden = Wh.shape[1]
    h = np.zeros(hidden)
    c = np.zeros(hidden)
    s = 0.0
    for t in range(xs.shape[0]):
        z = np.dot(Wx, xs[t]) + np.dot(Wh, h) + b
        cell_update(z, c, h)
        s += np.dot(w_out, h)
    return s


def lstm_inline(Wx, Wh, b, xs, w_out):
    """The cell written out inline."""
    hidden = Wh.shape[1]
    h = np.zeros(hidden)
    c = np.zeros(hidden)
    s = 0.0
    for t in range(xs.shape[0]):
        z = np.dot(Wx, xs[t]) + np.dot(Wh, h) + b
        for j in range(hidden):
            i_gate = 1.0 / (1.0 + math.exp(-z[j]))
            f_gate = 1.0 / (1.0 + math.exp(-z[hidden + j]))
            o_gate = 1.0 / (1.0 + math.exp(-z[2 * hidden + j]))
            g = math.tanh(z[3 * hidden + j])
            c[j] = f_gate * c[j] + i_gate * g
            h[j] = o_gate * math.tanh(c[j])
        for j in range(hidden):
            s += w_out[j] * h[j]
    return s


STYLES = {"helpers": lstm_helpers, "inline": lstm_inline}
HAND = None


def make_args(params: dict) -> tuple:
    """Small random weights (the cell stays out of saturation), a random sequence."""
    steps, inputs, hidden = params["steps"], params["inputs"], params["hidden"]
    rng = np.random.default_rng(2)
    Wx = 0.3 * rng.standard_normal((4 * hidden, inputs))
    Wh = 0.3 * rng.standard_normal((4 * hidden, hidden)) / math.sqrt(hidden)
    b = 0.1 * rng.standard_normal(4 * hidden)
    xs = rng.standard_normal((steps, inputs))
    w_out = rng.standard_normal(hidden) / math.sqrt(hidden)
    return Wx, Wh, b, xs, w_out


def jax_objective():
    """``lax.scan`` over the sequence, the cell on vectors."""
    import jax
    import jax.numpy as jnp

    def lstm(Wx, Wh, b, xs, w_out):
        hidden = Wh.shape[1]

        def step(carry, x):
            h, c = carry
            z = Wx @ x + Wh @ h + b
            i_gate = jax.nn.sigmoid(z[:hidden])
            f_gate = jax.nn.sigmoid(z[hidden:2 * hidden])
            o_gate = jax.nn.sigmoid(z[2 * hidden:3 * hidden])
            g = jnp.tanh(z[3 * hidden:])
            c = f_gate * c + i_gate * g
            h = o_gate * jnp.tanh(c)
            return (h, c), jnp.dot(w_out, h)

        zeros = jnp.zeros(hidden, dtype=Wx.dtype)
        _, readouts = jax.lax.scan(step, (zeros, zeros), xs)
        return jnp.sum(readouts)

    return lstm
