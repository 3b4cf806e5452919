#!/bin/bash
# Runs every program in its own fresh process, sequentially.
cd "$(dirname "$0")"
export NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
export XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
NAMES=${@:-"sw boltz netsir heston expectile imreg holtwinters fvadv robotarm raymarch grayscott garch attention rod sw_v grayscott_v attention_v x_dtw x_relu_mlp"}
for n in $NAMES; do
  echo "=== $n"
  timeout 900 python driver.py $n > rr/$n.log 2>&1
  tail -c 1500 rr/$n.log
done
