"""One training step of an MLP with the Tensor API, against PyTorch eager.

    python benchmarks/mlp_step.py [--size small|default|large] [--repeats N] [--torch-threads T]

The benchmark itself is ``sourcediff.bench.mlp_step`` (installed with sourcediff; also
``python -m sourcediff.bench.mlp_step``).
"""
from sourcediff.bench.mlp_step import main

if __name__ == "__main__":
    main()
