"""Random number generation: one global NumPy generator behind ``manual_seed``.

The streams differ from PyTorch's (values are NumPy's), but seeding works the
same way: a fixed default seed at start-up and ``manual_seed`` for
reproducible runs.
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 67280421310721  # torch's default seed


class Generator:
    """A seeded source of random numbers (wraps ``numpy.random.Generator``)."""

    def __init__(self, device: str = "cpu"):
        self._seed = DEFAULT_SEED
        self.numpy = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        """Reset the stream to the one that ``seed`` determines."""
        self._seed = int(seed)
        self.numpy = np.random.default_rng(self._seed & 0xFFFFFFFFFFFFFFFF)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Reseed from fresh entropy and return the new seed."""
        new = int(np.random.SeedSequence().entropy) & 0xFFFFFFFFFFFFFFFF
        self.manual_seed(new)
        return new

    def get_state(self):
        return self.numpy.bit_generator.state

    def set_state(self, state) -> None:
        self.numpy.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator, as ``torch.manual_seed``.

    >>> import sourcediff as sd
    >>> _ = sd.manual_seed(0); a = sd.rand(3)
    >>> _ = sd.manual_seed(0); b = sd.rand(3)
    >>> bool((a == b).all())
    True
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the global generator from fresh entropy."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the global generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state():
    """The global generator's state."""
    return default_generator.get_state()


def set_rng_state(state) -> None:
    """Restore a state from :func:`get_rng_state`."""
    default_generator.set_state(state)


def numpy_generator(generator: Generator | None = None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (default: the global one)."""
    return (generator or default_generator).numpy
