#!/usr/bin/env bash
# Install smoke test: what a user gets from `pip install sourcediff`, not from a checkout.
# Builds the wheel, installs it into a fresh venv (dependencies from the registry), and from
# a directory outside the source tree runs `sourcediff show`, `sourcediff check`,
# `sourcediff bench rosen-loop --size small` and a gradient through np.dot / @ on the cpu
# target. Prints one line per step and a final verdict; exits non-zero on the first failure
# (with the tail of that step's output).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
start=$SECONDS
work="$(mktemp -d "${TMPDIR:-/tmp}/sourcediff-smoke.XXXXXX")"
trap 'rm -rf "$work"' EXIT
log="$work/step.log"

step() {  # step DESCRIPTION COMMAND...: run it, output to the log; on failure show the log
    local what="$1"
    shift
    if "$@" >"$log" 2>&1; then
        echo "install smoke test: ok   $what"
    else
        local status=$?
        echo "install smoke test: FAIL $what (exit status $status); its output ends with:"
        tail -n 40 "$log"
        echo "install smoke test: FAILED after $((SECONDS - start)) s"
        exit 1
    fi
}

# The wheel is built from a clean copy of the tree: a build/ folder left by an earlier build
# would otherwise put modules that no longer exist into it.
mkdir "$work/src"
tar -C "$repo" --exclude=./.git --exclude=./build --exclude=./dist --exclude='*.egg-info' \
    --exclude=./.sourcediff_cache --exclude=__pycache__ -cf - . | tar -C "$work/src" -xf -
step "wheel built" python -m pip wheel --no-deps -q -w "$work/dist" "$work/src"
wheel="$(ls "$work"/dist/sourcediff-*.whl)"
step "fresh venv" python -m venv "$work/venv"
py="$work/venv/bin/python"
step "$(basename "$wheel") installed with its dependencies" "$py" -m pip install -q "$wheel"

# From outside the tree, with nothing of the checkout on the path.
mkdir "$work/user"
cd "$work/user"
unset PYTHONPATH
export SOURCEDIFF_CACHE_DIR="$work/cache" NUMBA_CACHE_DIR="$work/numba-cache"
export PATH="$work/venv/bin:$PATH"

cat >user_loss.py <<'EOF'
import numpy as np


def loss(x, w):
    y = np.dot(x, x) * w
    return y + np.sum(np.sin(x))
EOF
cat >user_grad.py <<'EOF'
"""A gradient through np.dot and @ on the default cpu target (Numba's linear algebra,
which needs SciPy at run time), checked against the formula."""
import numpy as np

import sourcediff as sd


def quadratic(x, a):
    y = a @ x
    return np.dot(y, y)


x = np.array([1.0, -2.0, 0.5])
a = np.arange(9.0).reshape(3, 3) / 10.0
g = sd.grad(quadratic, target="cpu")(x, a)
expected = 2.0 * a.T @ (a @ x)
assert np.allclose(g, expected, rtol=1e-12, atol=0.0), (g, expected)
where = sd.__file__
assert "site-packages" in where, f"sourcediff imported from {where}, not the installed wheel"
print(f"gradient {g} matches 2 A^T A x; sourcediff from {where}")
EOF

step "import from the venv, not the checkout" "$py" -c "
import sourcediff, sys
assert sourcediff.__file__.startswith(sys.prefix), sourcediff.__file__
assert not sourcediff.__file__.startswith('$repo'), sourcediff.__file__"
step "sourcediff show user_loss.py:loss" \
    sourcediff show user_loss.py:loss --wrt x,w --args "np.ones(3), 2.0"
step "sourcediff check user_loss.py:loss" \
    sourcediff check user_loss.py:loss --wrt x,w --args "np.linspace(0.1, 1.0, 4), 2.0"
step "sourcediff bench rosen-loop --size small" sourcediff bench rosen-loop --size small
step "np.dot / @ gradient on the cpu target" "$py" user_grad.py

echo "install smoke test: PASSED in $((SECONDS - start)) s (wheel in a fresh venv, used outside the source tree)"
