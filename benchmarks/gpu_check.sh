#!/bin/bash
# The checks that need a CUDA GPU, in one go: the cuda-target tests on the device
# (not the simulator), then the Greeks and bundle-adjustment benchmarks on every
# target with JAX and PyTorch.  Run from the repository root:
#     bash benchmarks/gpu_check.sh [RESULTS_DIR]
# RESULTS_DIR (default: gpu-results) receives tests.txt, greeks.json and ba.json.
out=${1:-gpu-results}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
nvidia-smi -L; uptime
python3 -c "import numpy, numba; print('numpy', numpy.__version__, 'numba', numba.__version__)"
files=$(grep -rln cuda tests --include='test_*.py')
# the tests' JAX comparisons run on the CPU (each xdist worker would otherwise take GPU memory)
JAX_PLATFORMS=cpu python3 -m pytest -q -p no:cacheprovider -n 8 $files -k cuda -rfEs 2>&1 \
    | tee "$out/tests.txt" | tail -5
python3 benchmarks/mc_greeks.py --repeat 5 --json "$out/greeks.json"
python3 benchmarks/ba_jacobian.py --json "$out/ba.json"
uptime
