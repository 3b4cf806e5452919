#!/bin/bash
# bash run_all.sh ROUND [NAME ...]: every program of ROUND (default: those in ROUND/PROGRAMS)
# in its own fresh process, sequentially; results in ROUND/rr/.
cd "$(dirname "$0")"
round=$1; shift
export NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
export XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
NAMES=${@:-$(cat "$round/PROGRAMS")}
mkdir -p "$round/rr"
for n in $NAMES; do
  echo "=== $n"
  timeout 900 python driver.py "$round" "$n" > "$round/rr/$n.log" 2>&1
  tail -c 1500 "$round/rr/$n.log"
done
