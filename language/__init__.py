"""Language benchmarks: one sub-package per benchmark."""
