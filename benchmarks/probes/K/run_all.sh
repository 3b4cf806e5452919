#!/bin/bash
# Runs every program in its own fresh process, sequentially.
cd "$(dirname "$0")"
export NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
export XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
NAMES=${@:-"wave1d chain_gd american bicycle pic rls lotka heat2d kde inventory interp tvden wave1d_v kde_v interp_v tvden_v"}
for n in $NAMES; do
  echo "=== $n"
  timeout 900 python driver.py $n > rr/$n.log 2>&1
  tail -c 1500 rr/$n.log
done
