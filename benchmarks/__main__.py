"""``python -m benchmarks``: the layer benchmark (the grading benchmark has its own module)."""

from benchmarks.bench_layers import main

main()
