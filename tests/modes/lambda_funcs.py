"""Lambdas as a JAX user writes them (module-level so their file is readable)."""
import math

import numpy as np

import sourcediff as sd

cube_sum = lambda x, w: np.sum(w * x ** 3)
pair = (lambda x: x * x), (lambda x: x * x * x)
inline_grad = sd.grad(lambda x: x * math.sin(x), target="python")


def f(x):
    return x ** 3


def nested_transform_call():
    return sd.grad(lambda x: sd.grad(f)(x) * 2.0, target="python")


df = sd.grad(f, target="python")


def calls_transform(x):
    return df(x) * 2.0


def comprehension():
    return sd.grad(lambda x: [x for _ in range(3)][0], target="python")  # noqa: RUF015
