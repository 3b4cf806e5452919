"""One convolutional layer by explicit loops: a 'valid' 2-D convolution of a
single-channel image with several k x k filters, a bias and a tanh, the loss the
mean squared difference to a target feature map.

    z[f, i, j] = b_f + sum_{a, c} K[f, a, c] img[i + a, j + c]
    loss(K, b) = mean_{f, i, j} (tanh z[f, i, j] - target[f, i, j])^2
"""

from __future__ import annotations

import math

import numpy as np

TITLE = "2-D convolution layer by explicit loops, tanh, squared error"
SIZES = {
    "small": {"size": 7, "k": 3, "filters": 2},
    "default": {"size": 96, "k": 5, "filters": 4},
    "large": {"size": 256, "k": 5, "filters": 8},
}
WRT = (0, 1)
WRT_NAMES = ("K", "b")
RTOL = 1e-9


def conv_layer_loss(K, b, img, target):
    """Six nested loops; the activation's error summed as it is made."""
    nf = K.shape[0]
    k = K.shape[1]
    out = img.shape[0] - k + 1
    loss = 0.0
    for f in range(nf):
        for i in range(out):
            for j in range(out):
                z = b[f]
                for a in range(k):
                    for c in range(k):
                        z += K[f, a, c] * img[i + a, j + c]
                e = math.tanh(z) - target[f, i, j]
                loss += e * e
    return loss / (nf * out * out)


STYLES = {"nested loops": conv_layer_loss}
HAND = None


def make_args(params: dict) -> tuple:
    """A smooth random image, small random filters, a random target in (-1, 1)."""
    size, k, nf = params["size"], params["k"], params["filters"]
    rng = np.random.default_rng(14)
    img = rng.standard_normal((size, size))
    img = 0.5 * (img + np.roll(img, 1, axis=0))
    out = size - k + 1
    K = 0.2 * rng.standard_normal((nf, k, k))
    b = 0.1 * rng.standard_normal(nf)
    target = np.tanh(rng.standard_normal((nf, out, out)))
    return K, b, img, target


def jax_objective():
    """``lax.conv_general_dilated`` (NCHW, one input channel), as a JAX user would."""
    import jax
    import jax.numpy as jnp

    def conv_layer_loss(K, b, img, target):
        z = jax.lax.conv_general_dilated(img[None, None], K[:, None], (1, 1), "VALID")[0]
        z = z + b[:, None, None]
        return jnp.mean((jnp.tanh(z) - target) ** 2)

    return conv_layer_loss
