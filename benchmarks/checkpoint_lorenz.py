"""Checkpointing: gradient time and peak memory of a Lorenz-63 RK4 loop of
1,000,000 steps, full tape against checkpoint=True and checkpoint=1000.

    python benchmarks/checkpoint_lorenz.py [--steps N] [--repeat R]

The benchmark itself is ``sourcediff.bench.checkpoint_lorenz`` (installed with sourcediff; also
``python -m sourcediff.bench.checkpoint_lorenz``).
"""
from sourcediff.bench.checkpoint_lorenz import main

if __name__ == "__main__":
    main()
