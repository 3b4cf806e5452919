"""Minimize an n-dimensional Rosenbrock function written as a plain Python loop.

The objective below is ordinary Python: a loop over array elements, the way
you would write it for Numba. ``sd.value_and_grad`` reads its source,
generates the adjoint (reverse-mode) code and compiles both with Numba, so one
call returns ``(f(x), df/dx)``: exactly what ``scipy.optimize.minimize`` wants
with ``jac=True``.

Run:
    python examples/rosenbrock_loop.py          # n = 100
    python examples/rosenbrock_loop.py 1000     # another size

SciPy is optional: without it, a plain gradient descent with a backtracking
line search runs instead (slower to converge; the point is the gradient).
"""

from __future__ import annotations

import sys
import time

import numpy as np

import sourcediff as sd


def rosenbrock(x, n):
    """The n-dimensional Rosenbrock function; its minimum is 0 at x = (1, ..., 1)."""
    s = 0.0
    for i in range(n - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def gradient_descent(value_and_grad, x0, max_iterations=20000, tolerance=1e-6):
    """Steepest descent with an Armijo backtracking line search (the no-SciPy fallback)."""
    x = x0.copy()
    step = 1e-3
    value, grad = value_and_grad(x)
    for iteration in range(1, max_iterations + 1):
        if np.linalg.norm(grad, np.inf) < tolerance:
            break
        step *= 2.0  # try a longer step first, then halve until the value drops enough
        while True:
            candidate = x - step * grad
            new_value, new_grad = value_and_grad(candidate)
            if new_value <= value - 1e-4 * step * grad @ grad or step < 1e-12:
                break
            step *= 0.5
        x, value, grad = candidate, new_value, new_grad
        if iteration % 2000 == 0:
            print(f"  iteration {iteration:6d}   f = {value:.6e}")
    return x, value, iteration


def main(n: int = 100) -> None:
    # Differentiate with respect to argument 0 (x); n is an int and just flows through.
    value_and_grad = sd.value_and_grad(rosenbrock, wrt=0, target="cpu")

    # The classic hard start: (-1.2, 1, -1.2, 1, ...).
    x0 = np.ones(n)
    x0[::2] = -1.2

    start = time.perf_counter()
    value, grad = value_and_grad(x0, n)  # first call: transform + Numba compile
    print(f"first call (transform + compile): {time.perf_counter() - start:.2f} s")
    print(f"f(x0) = {value:.4f}, |df/dx(x0)| = {np.linalg.norm(grad):.4f}")

    def objective(x):
        """What the optimizer calls: (value, gradient) for the current x."""
        return value_and_grad(x, n)

    start = time.perf_counter()
    try:
        from scipy.optimize import minimize
    except ImportError:
        print("SciPy is not installed: falling back to gradient descent (slow to converge).")
        x, value, iterations = gradient_descent(objective, x0)
    else:
        trace = []

        def report(intermediate_result):
            """Print progress every 50 L-BFGS iterations."""
            trace.append(intermediate_result.fun)
            if len(trace) % 50 == 0:
                print(f"  iteration {len(trace):5d}   f = {intermediate_result.fun:.6e}")

        result = minimize(
            objective,
            x0,
            jac=True,  # objective returns (value, gradient)
            method="L-BFGS-B",
            callback=report,
            options={"maxiter": 10000, "gtol": 1e-8},
        )
        x, value, iterations = result.x, result.fun, result.nit
        print(f"L-BFGS-B: {result.message}")
    elapsed = time.perf_counter() - start

    print(f"iterations: {iterations}   time: {elapsed:.2f} s")
    print(f"f(x*) = {value:.3e}")
    print(f"max |x* - 1| = {np.max(np.abs(x - 1.0)):.3e}")
    print(f"x*[:5] = {np.array2string(x[:5], precision=6)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
