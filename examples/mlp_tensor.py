"""Train a small MLP with sourcediff's PyTorch-style Tensor API.

The task is synthetic: three interleaved spirals in the plane, one class per
spiral. The code is what one would write with PyTorch (``import sourcediff as
torch`` would work as well); the loss printed every 50 epochs goes down.

    python examples/mlp_tensor.py
"""

from __future__ import annotations

import math

import numpy as np

import sourcediff as sd
import sourcediff.nn.functional as F
from sourcediff import nn


def spirals(points_per_class: int = 200, classes: int = 3, seed: int = 0):
    """Points on ``classes`` noisy spiral arms and the arm each point is on."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.05, 1.0, points_per_class)
        theta = np.linspace(c * 2 * math.pi / classes, c * 2 * math.pi / classes + 4.0,
                            points_per_class) + rng.normal(0, 0.15, points_per_class)
        xs.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        ys.append(np.full(points_per_class, c))
    return (sd.tensor(np.concatenate(xs).astype(np.float32)),
            sd.tensor(np.concatenate(ys)))


class MLP(nn.Module):
    def __init__(self, hidden: int = 64, classes: int = 3):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(2, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, classes),
        )

    def forward(self, x):
        return self.layers(x)


def main(epochs: int = 300) -> float:
    sd.manual_seed(0)
    x, y = spirals()
    model = MLP()
    optimizer = sd.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(epochs + 1):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        if epoch % 50 == 0:
            print(f"epoch {epoch:4d}  loss {loss.item():.4f}")
    with sd.no_grad():
        accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    print(f"training accuracy {accuracy:.1%}")
    return accuracy


if __name__ == "__main__":
    main()
